"""How olist_realtime is triggered and runs dbt: the bronze-sim/ Asset's watcher and the Cosmos task.

Watching, per target:

- AWS: S3 sends "Object Created" events for bronze-sim/ to an SQS queue (infra/); an AssetWatcher with the
  Amazon provider's SqsSensorTrigger (a BaseEventTrigger) polls it in the triggerer and emits an asset event
  per batch of messages. olist_realtime is scheduled on that asset.
- Local: no queue. The delivery DAG (olist_sim_delivery) lists the asset in its task's outlets, so every
  delivered file emits the asset event when the task succeeds (a run that delivers nothing skips: no event).
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import Asset, AssetWatcher, BaseOperator
from cosmos.constants import InvocationMode

from olist_dw.assets import bronze_sim_asset
from olist_dw.cosmos_config import operator_args, profile_config
from olist_dw.settings import DBT_PROJECT_DIR, Settings, get_settings

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


def dbt_build_realtime(settings: Settings | None = None, task_id: str = "dbt_build_realtime") -> BaseOperator:
    """One Cosmos `dbt build --select tag:realtime` task (call inside a DAG context).

    The project's Cosmos settings (cosmos_config: profile, environment, pool, in-process dbt), but one task
    for the whole selection instead of a task group. The micro-batch has two small incremental models, and
    its purpose is freshness: one task start-up and one dbt start-up instead of two of each (LOCAL mode), or
    a producer plus sensors queueing on the one-slot warehouse pool (WATCHER). Measured with bench/realtime.py
    (2 shared cores, 2 s delivery buffer), event -> published gold_sim p50/p95: 22.3/32.3 s with a LOCAL task
    group, 17.9/34.5 s with this task without partial parse, 11.6/17.7 s with it. dbt's log lists each model.
    """
    from cosmos import settings as cosmos_settings
    from cosmos.operators.local import DbtBuildLocalOperator

    settings = settings or get_settings()
    return DbtBuildLocalOperator(
        task_id=task_id,
        project_dir=str(DBT_PROJECT_DIR),
        profile_config=profile_config(settings),
        select=["tag:realtime"],
        invocation_mode=InvocationMode.DBT_RUNNER,
        install_deps=False,
        # A task group gets a cache folder from Cosmos; a lone operator needs one to keep dbt's partial-parse
        # file between runs (a full parse of the project costs ~5 s of every micro-batch otherwise).
        cache_dir=Path(cosmos_settings.cache_dir) / f"olist_realtime__{task_id}"
        if cosmos_settings.enable_cache
        else None,
        **operator_args(settings),
    )
