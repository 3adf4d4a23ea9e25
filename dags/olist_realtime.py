"""olist_realtime: the micro-batch that keeps realtime.fct_items_sold and realtime.gold_sim fresh.

Scheduled on the bronze-sim/ Asset: locally the delivery DAG (olist_sim_delivery) emits it after each
Parquet file; on AWS an AssetWatcher on the SQS queue of S3 "Object Created" events emits it.
max_active_runs=1: files landing during a run coalesce into the next run (replaces the original design's
CheckIfAnotherRunIsActive + wait). dbt `tag:realtime` (the staging view stg_sim__order_items,
fct_items_sold, gold_sim and their tests) runs as one `dbt build` through Cosmos; the publish step then writes
the realtime schema into its own serving file (`serving/analytics.realtime.*`, renamed onto its name) that
the dashboard reads beside the batch's. On AWS a first task registers the Glue
partitions of the newly landed files (Spectrum reads only catalogued partitions). Freshness is checked on its
own clock by olist_freshness, not here: the next micro-batch waits for this one's last task.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from olist_dw import cosmos_config
from olist_dw.dag_defaults import dag_args
from olist_dw.settings import get_settings
from olist_dw.targets import get_target

settings = get_settings()
target = get_target(settings)


@task
def register_realtime_partitions() -> dict[str, int]:
    """Where the warehouse reads only catalogued partitions (Spectrum), register those of the new files."""
    return get_target(get_settings()).register_realtime_partitions()


@task(pool=target.warehouse_pool or "default_pool")
def publish_realtime() -> dict[str, int]:
    """Make the realtime tables visible to readers (locally: their own serving file, renamed onto its name)."""
    return get_target(get_settings()).publish_realtime()


@dag(
    dag_id="olist_realtime",
    schedule=[target.realtime_trigger_asset()],
    **dag_args(settings, retry_delay=timedelta(seconds=10)),
    tags=["olist", "realtime"],
    doc_md=__doc__,
)
def olist_realtime():
    dbt_build = cosmos_config.dbt_build_task("dbt_build_realtime", select=["tag:realtime"], target=target)
    if target.registers_lake_partitions:
        register_realtime_partitions() >> dbt_build
    dbt_build >> publish_realtime()


olist_realtime()
