"""What every DAG of the project shares: one owner, retries from OLIST_TASK_RETRIES (the one setting), one
timezone-aware start date, no catch-up, and one run at a time."""

from __future__ import annotations

from datetime import timedelta

import pendulum

from olist_dw.settings import Settings

OWNER = "olist-dw"
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")


def default_args(settings: Settings, retry_delay: timedelta = timedelta(seconds=30)) -> dict:
    """Task defaults; DAGs on the freshness path pass a shorter retry_delay."""
    return {"owner": OWNER, "retries": settings.task_retries, "retry_delay": retry_delay}


def dag_args(settings: Settings, retry_delay: timedelta = timedelta(seconds=30)) -> dict:
    """Keyword arguments of every `@dag`. One run at a time: a run owns its lake prefixes, the warehouse or
    the stream's checkpoint, and work arriving meanwhile coalesces into the next run."""
    return {
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(settings, retry_delay),
    }
