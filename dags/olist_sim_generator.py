"""olist_sim_generator: the simulated shop's clock, one tick a minute (local; on AWS, EventBridge Scheduler
invokes the order-generator Lambda instead, with the same core).

Each tick advances simulated time by OLIST_SIM_TICK_SECONDS x the speed factor of the clock record and sells
3-20 orders (OLIST_SIM_ORDERS_MIN/MAX) from the finite inventory onto the embedded stream. The first run seeds
inventory and clock from the products file (on a fresh OLIST_HOME, without OLIST_SOURCE_DIR, the dataset is
generated first at OLIST_SCALE). Trigger with conf {"ticks": N} to fast-forward N ticks at once.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, task

from olist_dw.dag_defaults import dag_args
from olist_dw.settings import get_settings
from olist_dw.targets import get_target

settings = get_settings()


@task
def tick(params=None) -> dict[str, int]:
    from olist_dw.sim.runs import run_ticks
    from olist_dw.source_data import ensure_source_data

    target = get_target(get_settings())
    if target.seeds_simulation_on_first_tick:  # the first tick seeds from the products file: have one
        ensure_source_data(target.settings)
    return run_ticks(
        target.state_store(),
        target.stream(),
        int(params["ticks"]),
        target.settings,
        seed_on_first_tick=target.seeds_simulation_on_first_tick,
    )


@dag(
    dag_id="olist_sim_generator",
    schedule="* * * * *",
    **dag_args(settings, retry_delay=timedelta(seconds=10)),
    params={"ticks": Param(1, type="integer", minimum=1, description="ticks to run in this run")},
    tags=["olist", "realtime", "simulation"],
    doc_md=__doc__,
)
def olist_sim_generator():
    tick()


if get_target(settings).simulation_in_airflow:  # elsewhere a scheduler invokes the Lambda (EventBridge on AWS)
    olist_sim_generator()
