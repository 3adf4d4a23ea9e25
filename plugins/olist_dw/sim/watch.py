"""How olist_realtime is triggered and runs dbt: the bronze-sim/ Asset's watcher and the Cosmos settings.

Watching, per target:

- AWS: S3 sends "Object Created" events for bronze-sim/ to an SQS queue (infra/); an AssetWatcher with the
  Amazon provider's SqsSensorTrigger (a BaseEventTrigger) polls it in the triggerer and emits an asset event
  per batch of messages. olist_realtime is scheduled on that asset.
- Local: no queue. The delivery DAG (olist_sim_delivery) lists the asset in its task's outlets, so every
  delivered file emits the asset event when the task succeeds (a run that delivers nothing skips: no event).
"""

from __future__ import annotations

import dataclasses

from airflow.sdk import Asset, AssetWatcher
from cosmos import ExecutionConfig, RenderConfig
from cosmos.constants import ExecutionMode, TestBehavior, TestIndirectSelection

from olist_dw.assets import bronze_sim_asset
from olist_dw.cosmos_config import execution_config, render_config
from olist_dw.settings import Settings, get_settings

SQS_POLL_SECONDS = 5  # between ReceiveMessage calls when the queue was empty


def realtime_trigger_asset(settings: Settings | None = None) -> Asset:
    """The bronze-sim/ asset olist_realtime is scheduled on (with its SQS watcher on AWS)."""
    settings = settings or get_settings()
    if settings.target != "aws":
        return bronze_sim_asset(settings)
    from airflow.providers.amazon.aws.triggers.sqs import SqsSensorTrigger

    trigger = SqsSensorTrigger(
        sqs_queue=settings.sqs_queue_url,
        aws_conn_id=settings.aws_conn_id,
        region_name=settings.aws_region,
        max_messages=10,
        wait_time_seconds=10,  # long polling
        waiter_delay=SQS_POLL_SECONDS,
    )
    return bronze_sim_asset(settings, watchers=[AssetWatcher(name="bronze_sim_sqs", trigger=trigger)])


# The project's Cosmos settings with one change for the micro-batch: ExecutionMode.LOCAL with one `dbt build`
# (model + its tests) per model, instead of WATCHER. Two models only, so WATCHER saves nothing here, and its
# deferrable sensors never let the producer run under `airflow dags test` (what `make demo` uses).
# Cautious test selection: silver_sim's build must not run gold_sim's reconciliation test (it reads both).
def realtime_execution_config() -> ExecutionConfig:
    return dataclasses.replace(
        execution_config(),
        execution_mode=ExecutionMode.LOCAL,
        setup_operator_args=None,
        test_indirect_selection=TestIndirectSelection.CAUTIOUS,
    )


def realtime_render_config() -> RenderConfig:
    return dataclasses.replace(render_config(["tag:realtime"]), test_behavior=TestBehavior.BUILD)
