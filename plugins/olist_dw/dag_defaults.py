"""default_args shared by every DAG: one owner, and retries from OLIST_TASK_RETRIES (the one setting)."""

from __future__ import annotations

from datetime import timedelta

from olist_dw.settings import Settings, get_settings

OWNER = "olist-dw"


def default_args(settings: Settings | None = None, retry_delay: timedelta = timedelta(seconds=30)) -> dict:
    """Task defaults; DAGs on the freshness path pass a shorter retry_delay."""
    settings = settings or get_settings()
    return {"owner": OWNER, "retries": settings.task_retries, "retry_delay": retry_delay}
