"""The Cosmos group's reporting tasks start and end in the triggerer (olist_dw.cosmos_reporting): every sensor of
olist_batch's group is set to start from the trigger, survives DAG serialization so, and its trigger ends the task
with the state dbt gave the node. The live scheduler test (tests/live) runs them under a real triggerer."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from airflow.triggers.base import TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent
from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
from cosmos.operators._watcher.state import get_dbt_event_xcom_key, get_status_xcom_key

from olist_dw.cosmos_reporting import TRIGGER_PATH, ReportingTrigger
from olist_dw.settings import PROJECT_ROOT


def trigger_outcome(
    node_status: str | None, producer_state: str, is_test_sensor: bool = False
) -> tuple[object, ReportingTrigger, list[str]]:
    """Run the trigger against a fake producer: the XComs it pushed and its state. Returns the event, the trigger
    and every round trip the trigger made (XCom keys read, "producer state")."""
    uid = "model.olist.fct_orders"
    trigger = ReportingTrigger(
        model_unique_id=uid,
        producer_task_id="transform.dbt_producer_watcher",
        dag_id="olist_batch",
        run_id="",
        map_index=-1,
        poke_interval=0.01,
        is_test_sensor=is_test_sensor,
    )
    trigger.task_instance = SimpleNamespace(dag_id="olist_batch", run_id="manual__1", map_index=-1, task_id="t")
    pushed: dict[str, object] = {}
    if not is_test_sensor:  # the failed model's dbt event, which the producer pushed
        pushed[get_dbt_event_xcom_key(uid)] = {"status": node_status, "msg": "Database Error: boom"}
    if node_status is not None:  # what Cosmos's producer pushes for a model, and for a model's tests
        pushed[get_tests_status_xcom_key(uid) if is_test_sensor else get_status_xcom_key(uid)] = (
            node_status if is_test_sensor else {"status": node_status, "outlet_uris": []}
        )
    round_trips: list[str] = []

    async def xcom(key: str) -> object:
        assert trigger.run_id == "manual__1"  # the task instance's run, not the empty kwarg
        round_trips.append(key)
        return pushed.get(key)

    async def producer() -> str:
        round_trips.append("producer state")
        return producer_state

    trigger.get_xcom_val = xcom  # type: ignore[method-assign]
    trigger._get_producer_task_status = producer  # type: ignore[method-assign]

    async def first_event():
        async for event in trigger.run():
            return event

    event = asyncio.run(asyncio.wait_for(first_event(), timeout=10))
    return event, trigger, round_trips


@pytest.mark.parametrize(
    ("node_status", "producer_state", "is_test_sensor", "ending"),
    [
        ("success", "success", False, TaskSuccessEvent),
        ("pass", "success", True, TaskSuccessEvent),  # a model's tests
        ("skipped", "failed", False, TaskSkippedEvent),  # dbt skipped it: an upstream node failed
        ("fail", "failed", True, TaskFailedEvent),  # its tests failed
        ("error", "failed", False, TaskFailedEvent),  # the model failed
        (None, "failed", False, TaskFailedEvent),  # the build died before reporting the node
        (None, "success", False, TaskSuccessEvent),  # the build succeeded without running the node
    ],
)
def test_the_trigger_ends_the_task_with_the_nodes_dbt_result(
    node_status, producer_state, is_test_sensor, ending, caplog
):
    event, trigger, _ = trigger_outcome(node_status, producer_state, is_test_sensor)
    assert type(event) is ending
    # a failure's log names the node and what broke: dbt's message, or that its tests failed
    what_broke = "tests of the node failed" if is_test_sensor else "Database Error: boom"
    assert ("model.olist.fct_orders" in caplog.text and what_broke in caplog.text) == (ending is TaskFailedEvent)
    assert trigger.serialize()[0] == TRIGGER_PATH


@pytest.mark.parametrize("is_test_sensor", [False, True])
def test_a_reported_success_ends_the_task_after_one_xcom_read(is_test_sensor):
    status = "pass" if is_test_sensor else "success"
    _, _, round_trips = trigger_outcome(status, "success", is_test_sensor)
    expected = get_tests_status_xcom_key if is_test_sensor else get_status_xcom_key
    assert round_trips == [expected("model.olist.fct_orders")]  # no start-up events, producer state, compiled SQL


def test_a_missing_status_reads_the_producer_state_then_the_status_again():
    _, _, round_trips = trigger_outcome(None, "failed")
    status_key = get_status_xcom_key("model.olist.fct_orders")
    assert round_trips[:3] == [status_key, "producer state", status_key]


def test_every_sensor_of_the_batch_group_starts_from_the_triggerer_after_serialization():
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "olist_batch.py")).dags["olist_batch"]
    served = DagSerialization.from_dict(DagSerialization.to_dict(dag))  # what the scheduler and triggerer see
    group = [t for t in served.tasks if t.task_id.startswith("transform.")]
    producer = {"transform.dbt_producer_watcher", "transform.dbt_producer_watcher_done"}
    sensors = [t for t in group if t.task_id not in producer]

    assert len(sensors) > 40
    assert all(t.start_from_trigger for t in sensors)
    assert {t.start_trigger_args.trigger_cls for t in sensors} == {TRIGGER_PATH}
    assert not any(t.start_from_trigger for t in group if t.task_id in producer)  # the build runs on a worker
