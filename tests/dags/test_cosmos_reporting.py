"""The Cosmos group's reporting tasks start and end in the triggerer (olist_dw.cosmos_reporting): every sensor of
olist_batch's group is set to start from the trigger, survives DAG serialization so, and its trigger ends the task
with the state dbt gave the node. The live scheduler test (tests/live) runs them under a real triggerer."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from airflow.triggers.base import TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent

from olist_dw.cosmos_reporting import TRIGGER_PATH, ReportingTrigger
from olist_dw.settings import PROJECT_ROOT


def trigger_outcome(node_status: str | None, producer_state: str) -> tuple[object, ReportingTrigger]:
    trigger = ReportingTrigger(
        model_unique_id="model.olist.fct_orders",
        producer_task_id="transform.dbt_producer_watcher",
        dag_id="olist_batch",
        run_id="",
        map_index=-1,
        poke_interval=0.01,
    )
    trigger.task_instance = SimpleNamespace(dag_id="olist_batch", run_id="manual__1", map_index=-1, task_id="t")
    seen: dict[str, str] = {}

    async def no_startup_events() -> None:
        return None

    async def producer() -> str:
        return producer_state

    async def node() -> tuple[str | None, None]:
        seen["run_id"] = trigger.run_id
        return node_status, None

    trigger._log_startup_events = no_startup_events  # type: ignore[method-assign]
    trigger._get_producer_task_status = producer  # type: ignore[method-assign]
    trigger._parse_dbt_node_status_and_compiled_sql = node  # type: ignore[method-assign]

    async def xcom(key: str) -> dict | None:  # the failed node's dbt event, which the producer pushed
        return {"status": node_status, "msg": "Database Error: boom"} if key.endswith("_dbt_event") else None

    trigger.get_xcom_val = xcom  # type: ignore[method-assign]

    async def first_event():
        async for event in trigger.run():
            return event

    event = asyncio.run(asyncio.wait_for(first_event(), timeout=10))
    assert seen["run_id"] == "manual__1"  # the task instance's run, not the empty kwarg
    return event, trigger


@pytest.mark.parametrize(
    ("node_status", "producer_state", "ending"),
    [
        ("success", "success", TaskSuccessEvent),
        ("pass", "success", TaskSuccessEvent),  # a test node
        ("skipped", "failed", TaskSkippedEvent),  # dbt skipped it: an upstream node failed
        ("fail", "failed", TaskFailedEvent),  # its tests failed
        (None, "failed", TaskFailedEvent),  # the build died before reporting the node
    ],
)
def test_the_trigger_ends_the_task_with_the_nodes_dbt_result(node_status, producer_state, ending, caplog):
    event, trigger = trigger_outcome(node_status, producer_state)
    assert type(event) is ending
    # a failure's log names the node and dbt's message (what broke)
    assert ("model.olist.fct_orders" in caplog.text and "Database Error: boom" in caplog.text) == (
        ending is TaskFailedEvent
    )
    assert trigger.serialize()[0] == TRIGGER_PATH


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
