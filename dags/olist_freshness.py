"""olist_freshness: is the data fresh? One task on its own clock (OLIST_FRESHNESS_SCHEDULE, every minute).

dbt source freshness of the streamed orders (the newest event's produced_at) and the published gold_sim's
age; stale data is an alert (olist_dw.freshness: the local alerts file and OLIST_ALERT_CONN_ID), sent when it
starts or worsens and then every OLIST_ALERT_REPEAT_MINUTES. On a clock, not after each olist_realtime run:
it sees events stop arriving, and it never holds the next micro-batch back. Locally it opens no warehouse
file (dbt reads the lake in place), so it needs no writer's pool.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task

from olist_dw.dag_defaults import dag_args
from olist_dw.settings import get_settings

settings = get_settings()


@task
def check_freshness() -> dict:
    """Measure, alert on stale data, return the measurements (the task's XCom); never fails for stale data."""
    from olist_dw.freshness import check_freshness as measure
    from olist_dw.targets import get_target

    settings = get_settings()
    return measure(settings, get_target(settings), get_current_context())


@dag(
    dag_id="olist_freshness",
    schedule=settings.freshness_schedule,
    **dag_args(settings, retry_delay=timedelta(seconds=10)),
    tags=["olist", "realtime", "freshness"],
    doc_md=__doc__,
)
def olist_freshness():
    check_freshness()


olist_freshness()
