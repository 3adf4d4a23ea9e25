"""default_args shared by every DAG: one owner, and retries from OLIST_TASK_RETRIES (the one setting)."""

from __future__ import annotations

from datetime import timedelta

from olist_dw.settings import Settings

OWNER = "olist-dw"


def default_args(settings: Settings, retry_delay: timedelta = timedelta(seconds=30)) -> dict:
    """Task defaults; DAGs on the freshness path pass a shorter retry_delay."""
    return {"owner": OWNER, "retries": settings.task_retries, "retry_delay": retry_delay}
