"""The Cosmos group's per-node reporting tasks, started and ended by the triggerer: no worker process each.

In WATCHER mode one producer task runs the `dbt build`; every model, snapshot and model's tests get a sensor
task that only reports what the build did (their state in the Airflow UI). As plain tasks each of them takes a
worker: a process, the DAG file parsed, Cosmos imported, ~2 s of CPU, for a first poke that finds the result
already there (the sensors run after the producer). With ~80 of them on a LocalExecutor and 2 cores that was
most of a live batch run (bench/live_batch.py).

Here each sensor is started from the triggerer (Airflow's `start_from_trigger`): the scheduler defers the task
at once with `ReportingTrigger` (a Cosmos `WatcherTrigger`), which reads the node's status the producer pushed,
in one XCom round trip, and then ends the task itself (`TaskSuccessEvent`, `TaskSkippedEvent`,
`TaskFailedEvent`) instead of resuming it on a worker. All sensors of a run are coroutines in the one triggerer process.

Where no scheduler defers them (`airflow dags test`, the demo) the same tasks run on the worker as Cosmos's
sensors do: their first poke finds the result. Both paths give the same states. Under a scheduler they need a
triggerer, as every deferrable task does: `make airflow` (standalone) and Astro deployments run one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from airflow.sdk.bases.operator import BaseOperator
from airflow.triggers.base import StartTriggerArgs, TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent, TriggerEvent
from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
from cosmos.operators._watcher.state import (
    PRODUCER_FINAL_STATES,
    ProducerTaskState,
    get_dbt_event_xcom_key,
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
    is_dbt_node_status_terminal,
)
from cosmos.operators._watcher.triggerer import WatcherTrigger

log = logging.getLogger(__name__)

TRIGGER_PATH = f"{__name__}.ReportingTrigger"


class ReportingTrigger(WatcherTrigger):
    """Cosmos's WatcherTrigger for one dbt node, ending its task from the triggerer with one XCom read.

    The report starts after the build (its task is downstream of the producer), so the node's status is
    already there: read it, end the task. Cosmos's own run() first waits for the build's start-up events, then
    reads the producer's state, the status and the compiled SQL on every poke: four to five round trips
    through the triggerer and the execution API per report, ~80 reports a batch run, all on the triggerer's one
    event loop. The producer's state is read only when the status is missing (the build died, or dbt did not
    run the node). The run is the task instance's (a trigger started by the scheduler has no templated run id).
    """

    def serialize(self) -> tuple[str, dict[str, Any]]:
        _, kwargs = super().serialize()
        return TRIGGER_PATH, kwargs

    async def run(self) -> AsyncIterator[TriggerEvent]:
        ti = self.task_instance
        if ti is not None:
            self.dag_id, self.run_id, self.map_index = ti.dag_id, ti.run_id, ti.map_index
        while True:
            status = await self._reported_status()
            if status is None:
                producer_state = await self._get_producer_task_status()
                if producer_state not in PRODUCER_FINAL_STATES:
                    await asyncio.sleep(self.poke_interval)  # the build is still running
                    continue
                status = await self._reported_status()  # pushed before the producer ended
                if status is None:
                    yield await self._ending_without_a_report(producer_state)
                    return
            yield await self._ending(status)
            return

    async def _reported_status(self) -> str | None:
        """The node's status as the producer pushed it (a model's own, or the aggregate of its tests)."""
        if self.is_test_sensor:
            status = await self.get_xcom_val(get_tests_status_xcom_key(self.model_unique_id))
        else:
            status = await self._get_node_status()
        return status if is_dbt_node_status_terminal(status) else None

    async def _ending(self, status: str) -> TriggerEvent:
        if is_dbt_node_status_success(status):
            return TaskSuccessEvent()
        if is_dbt_node_status_skipped(status):
            return TaskSkippedEvent()
        if self.is_test_sensor:  # the failed tests are their own nodes: dbt's log in the producer names them
            log.error(
                "dbt node %s: %s (tests of the node failed; the producer's log names them)",
                self.model_unique_id,
                status,
            )
            return TaskFailedEvent()
        return await self._failure(status, "the node failed")

    async def _ending_without_a_report(self, producer_state: str) -> TriggerEvent:
        if producer_state == ProducerTaskState.SUCCESS:
            return TaskSuccessEvent()  # the build succeeded without running the node (as Cosmos: NODE_NOT_RUN)
        return await self._failure(None, f"the producer ended {producer_state} before reporting the node")

    async def _failure(self, status: str | None, reason: str) -> TriggerEvent:
        event = await self.get_xcom_val(get_dbt_event_xcom_key(self.model_unique_id))
        message = event.get("msg") if isinstance(event, dict) else None
        log.error("dbt node %s: %s (%s): %s", self.model_unique_id, status, reason, message or "no message")
        return TaskFailedEvent()


def start_from_triggerer(sensor: BaseOperator) -> None:
    """Make one of Cosmos's watcher sensors start and end in the triggerer (call when building the DAG)."""
    sensor.start_from_trigger = True
    sensor.start_trigger_args = StartTriggerArgs(
        trigger_cls=TRIGGER_PATH,
        trigger_kwargs={
            "model_unique_id": sensor.model_unique_id,  # type: ignore[attr-defined]
            "producer_task_id": sensor.producer_task_id,  # type: ignore[attr-defined]
            "dag_id": sensor.dag_id,
            "run_id": "",  # the task instance's, at run time
            "map_index": -1,
            "poke_interval": float(sensor.poke_interval),  # type: ignore[attr-defined]
            "is_test_sensor": bool(getattr(sensor, "is_test_sensor", False)),
        },
        next_method="execute_complete",
        next_kwargs=None,
        timeout=sensor.execution_timeout,
    )
