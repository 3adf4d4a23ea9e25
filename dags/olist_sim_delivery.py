"""olist_sim_delivery: the local Firehose. Drains the embedded stream into snappy Parquet under
bronze-sim/dt=YYYY-MM-DD/hour=HH/ and emits the bronze-sim/ Asset, which schedules olist_realtime.

Continuous schedule (max_active_runs=1): each run delivers one buffer-full file (OLIST_DELIVERY_BUFFER_BYTES
or OLIST_DELIVERY_BUFFER_SECONDS, whichever first) and ends, so every file emits its asset event at once; the
next run starts right after. A run that finds nothing within a minute is skipped (no asset event).
At-least-once: the checkpoint moves only after the file is durable (see olist_dw.sim.delivery).
Trigger with conf {"drain": true} to deliver everything in the log now. Local only: on AWS, Firehose delivers.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, task

from olist_dw.assets import BRONZE_SIM_ASSET
from olist_dw.dag_defaults import dag_args
from olist_dw.settings import get_settings
from olist_dw.targets import get_target

settings = get_settings()


@task(outlets=[BRONZE_SIM_ASSET])
def deliver(params=None) -> list[str]:
    from airflow.sdk.exceptions import AirflowSkipException

    from olist_dw.sim.runs import NothingDelivered, deliver

    try:
        return deliver(get_target(get_settings()).delivery(), drain=bool(params["drain"]), max_wait_seconds=55)
    except NothingDelivered as nothing:
        raise AirflowSkipException(str(nothing)) from nothing


@dag(
    dag_id="olist_sim_delivery",
    schedule="@continuous",
    **dag_args(settings, retry_delay=timedelta(seconds=5)),
    params={"drain": Param(False, type="boolean", description="deliver everything in the log now")},
    tags=["olist", "realtime", "simulation"],
    doc_md=__doc__,
)
def olist_sim_delivery():
    deliver()


if get_target(settings).simulation_in_airflow:  # elsewhere a managed stream delivers (Firehose on AWS)
    olist_sim_delivery()
