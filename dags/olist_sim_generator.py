"""olist_sim_generator: the simulated shop's clock, one tick a minute (local; on AWS, EventBridge Scheduler
invokes the order-generator Lambda instead, with the same core).

Each tick advances simulated time by OLIST_SIM_TICK_SECONDS x the speed factor of the clock record and sells
3-20 orders (OLIST_SIM_ORDERS_MIN/MAX) from the finite inventory onto the embedded stream. The first run seeds
inventory and clock from the products file. Trigger with conf {"ticks": N} to fast-forward N ticks at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from olist_dw.dag_defaults import default_args
from olist_dw.settings import get_settings

if get_settings().target == "local":

    @dag(
        dag_id="olist_sim_generator",
        schedule="* * * * *",
        start_date=datetime(2024, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=default_args(retry_delay=timedelta(seconds=10)),
        params={"ticks": Param(1, type="integer", minimum=1, description="ticks to run in this run")},
        tags=["olist", "realtime", "simulation"],
        doc_md=__doc__,
    )
    def olist_sim_generator():
        @task
        def tick(params=None) -> dict[str, int]:
            from olist_dw.sim.tasks import run_ticks

            return run_ticks(int(params["ticks"]))

        tick()

    olist_sim_generator()
