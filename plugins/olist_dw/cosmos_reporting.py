"""The Cosmos group's per-node reporting tasks, started and ended by the triggerer: no worker process each.

In WATCHER mode one producer task runs the `dbt build`; every model, snapshot and model's tests get a sensor
task that only reports what the build did (their state in the Airflow UI). As plain tasks each of them takes a
worker: a process, the DAG file parsed, Cosmos imported, ~2 s of CPU, for a first poke that finds the result
already there (the sensors run after the producer). With ~80 of them on a LocalExecutor and 2 cores that was
most of a live batch run (bench/live_batch.py).

Here each sensor is started from the triggerer (Airflow's `start_from_trigger`): the scheduler defers the task
at once with `ReportingTrigger`, which reads the producer's results like Cosmos's own `WatcherTrigger` (it is
one) and then ends the task itself (`TaskSuccessEvent`, `TaskSkippedEvent`, `TaskFailedEvent`) instead of
resuming it on a worker. All sensors of a run are coroutines in the one triggerer process.

Where no scheduler defers them (`airflow dags test`, the demo) the same tasks run on the worker as Cosmos's
sensors do: their first poke finds the result. Both paths give the same states. Under a scheduler they need a
triggerer, as every deferrable task does: `make airflow` (standalone) and Astro deployments run one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from airflow.sdk.bases.operator import BaseOperator
from airflow.triggers.base import StartTriggerArgs, TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent, TriggerEvent
from cosmos.listeners.dag_run_listener import EventStatus
from cosmos.operators._watcher.state import get_dbt_event_xcom_key
from cosmos.operators._watcher.triggerer import WatcherTrigger

log = logging.getLogger(__name__)

TRIGGER_PATH = f"{__name__}.ReportingTrigger"


class ReportingTrigger(WatcherTrigger):
    """Cosmos's WatcherTrigger for one dbt node, ending its task from the triggerer.

    The run is the task instance's (a trigger started by the scheduler has no templated run id)."""

    def serialize(self) -> tuple[str, dict[str, Any]]:
        _, kwargs = super().serialize()
        return TRIGGER_PATH, kwargs

    async def run(self) -> AsyncIterator[TriggerEvent]:
        ti = self.task_instance
        if ti is not None:
            self.dag_id, self.run_id, self.map_index = ti.dag_id, ti.run_id, ti.map_index
        async for event in super().run():
            status, reason = event.payload.get("status"), event.payload.get("reason")
            if status == EventStatus.SUCCESS:
                yield TaskSuccessEvent()
            elif status == EventStatus.SKIPPED:
                yield TaskSkippedEvent()
            else:  # the node failed, or the producer failed or was skipped before reporting it
                event = await self.get_xcom_val(get_dbt_event_xcom_key(self.model_unique_id))
                message = event.get("msg") if isinstance(event, dict) else None
                log.error("dbt node %s: %s (%s): %s", self.model_unique_id, status, reason, message or "no message")
                yield TaskFailedEvent()
            return


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
