"""What every DAG of the project shares: one owner, retries from OLIST_TASK_RETRIES (the one setting) that a
deterministic error skips, a task_failed alert when a task fails for good (olist_dw.alerts), one timezone-aware
start date, no catch-up, and one run at a time."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import RetryDecision, RetryPolicy

from olist_dw.alerts import AlertNotifier
from olist_dw.errors import is_deterministic
from olist_dw.settings import Settings

OWNER = "olist-dw"
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")


def is_failed_dbt_build(error: BaseException) -> bool:
    """A dbt model or test that failed (Cosmos's CosmosDbtRunError, DBT_RUNNER mode) is deterministic too,
    unless dbt met the DuckDB file lock, which clears when the other process lets go."""
    cosmos_errors = sys.modules.get("cosmos.exceptions")  # not loaded: the error cannot be Cosmos's
    if cosmos_errors is None or not isinstance(error, cosmos_errors.CosmosDbtRunError):
        return False
    return "lock" not in str(error).lower()


class FailFastOnUserFacingErrors(RetryPolicy):
    """Retrying a missing file, a wrong header, broken keys, a bad setting or a failed dbt test gives the
    same error after the retry delays: such a task fails at its first try, with the error the user must fix.
    Anything else (a lock, a network error, a killed process) keeps the task's retries.

    Airflow evaluates this in the task's process at failure time (Airflow 3.3's `retry_policy`)."""

    def evaluate(self, exception: BaseException, try_number: int, max_tries: int, context: Any = None) -> RetryDecision:
        if is_deterministic(exception) or is_failed_dbt_build(exception):
            return RetryDecision.fail(reason=f"{type(exception).__name__} is deterministic: not retried")
        return RetryDecision.default()

    def serialize(self) -> dict[str, Any]:
        return {"__type": type(self).__name__}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> FailFastOnUserFacingErrors:
        return cls()


def default_args(settings: Settings, retry_delay: timedelta = timedelta(seconds=30)) -> dict:
    """Task defaults of every task of every DAG (our @tasks, Cosmos's, the AWS provider's operators);
    DAGs on the freshness path pass a shorter retry_delay. A task that fails for good (no retry left, or a
    deterministic error) sends a task_failed alert: the local alerts file and OLIST_ALERT_CONN_ID's notifier."""
    return {
        "owner": OWNER,
        "retries": settings.task_retries,
        "retry_delay": retry_delay,
        "retry_policy": FailFastOnUserFacingErrors(),
        "on_failure_callback": AlertNotifier(),
    }


def dag_args(settings: Settings, retry_delay: timedelta = timedelta(seconds=30)) -> dict:
    """Keyword arguments of every `@dag`. One run at a time: a run owns its lake prefixes, the warehouse or
    the stream's checkpoint, and work arriving meanwhile coalesces into the next run."""
    return {
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(settings, retry_delay),
    }
