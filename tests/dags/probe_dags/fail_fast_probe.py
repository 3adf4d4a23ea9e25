"""A probe DAG for tests/dags/test_fail_fast.py: one task per kind of failure, all with the project's defaults
(`dag_args`: OLIST_TASK_RETRIES retries and the fail-fast retry policy), a 1 s retry delay.

Each task fails on its first try only, so a task that is retried ends in success at try 2 and a task that
is not retried ends failed at try 1."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, get_current_context, task

from olist_dw.dag_defaults import dag_args
from olist_dw.settings import get_settings


def first_try() -> bool:
    return get_current_context()["ti"].try_number == 1


@dag(dag_id="fail_fast_probe", schedule=None, **dag_args(get_settings(), retry_delay=timedelta(seconds=1)))
def fail_fast_probe():
    @task
    def missing_source_file():
        from olist_dw.batch.land import find_source_file
        from olist_dw.contract import SOURCES
        from olist_dw.settings import get_settings

        if first_try():
            find_source_file(get_settings().home / "no-such-folder", SOURCES[0])

    @task
    def bad_setting():
        from olist_dw.settings import Settings

        if first_try():
            Settings(max_bad_row_fraction=2)  # outside 0..1: pydantic's ValidationError

    @task
    def dbt_test_failed():
        from cosmos.exceptions import CosmosDbtRunError

        if first_try():
            raise CosmosDbtRunError("dbt invocation completed with errors: not_null_orders_order_id: FAIL 3")

    @task
    def disk_error():
        if first_try():
            raise OSError("No space left on device")

    @task
    def warehouse_locked():
        from olist_dw.warehouse import WarehouseLockedError

        if first_try():
            raise WarehouseLockedError("warehouse.duckdb is locked by another process for more than 60 s")

    @task
    def dbt_met_the_lock():
        from cosmos.exceptions import CosmosDbtRunError

        if first_try():
            raise CosmosDbtRunError("dbt invocation completed with errors: IO Error: Could not set lock on file")

    missing_source_file()
    bad_setting()
    dbt_test_failed()
    disk_error()
    warehouse_locked()
    dbt_met_the_lock()


fail_fast_probe()
