"""olist_realtime: the micro-batch that keeps realtime.silver_sim and realtime.gold_sim fresh.

Scheduled on the bronze-sim/ Asset: locally the delivery DAG (olist_sim_delivery) emits it after each
Parquet file; on AWS an AssetWatcher on the SQS queue of S3 "Object Created" events emits it.
max_active_runs=1: files landing during a run coalesce into the next run (replaces the original design's
CheckIfAnotherRunIsActive + wait). dbt `tag:realtime` (silver_sim, gold_sim and their tests) runs as one
`dbt build` through Cosmos; the publish step then swaps the realtime schema into the serving snapshot the
dashboard reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from olist_dw.airflow_local import WAREHOUSE_POOL
from olist_dw.dag_defaults import default_args
from olist_dw.settings import get_settings
from olist_dw.sim.watch import dbt_build_realtime, realtime_trigger_asset

settings = get_settings()


@dag(
    dag_id="olist_realtime",
    schedule=[realtime_trigger_asset(settings)],
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retry_delay=timedelta(seconds=10)),
    tags=["olist", "realtime"],
    doc_md=__doc__,
)
def olist_realtime():
    dbt_realtime = dbt_build_realtime(settings)

    @task(pool=WAREHOUSE_POOL if settings.target == "local" else "default_pool")
    def publish_realtime() -> dict[str, int]:
        """Swap the realtime schema into the serving snapshot (locally; Redshift grants do it on AWS)."""
        from olist_dw.sim.tasks import publish_realtime

        if get_settings().target != "local":
            return {}
        return publish_realtime()

    dbt_realtime >> publish_realtime()


olist_realtime()
