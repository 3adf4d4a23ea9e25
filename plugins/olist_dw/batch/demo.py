"""The batch step of `olist-dw demo`: a real olist_batch DAG run through Airflow, then what it published.

`airflow dags test olist_batch` runs one real DAG run in-process against the local metadata database
(every task, the pool, XComs and the asset event, no scheduler needed), which is what a demo wants:
it ends when the run ends and its exit status is the run's state. The run's full log goes to
OLIST_HOME/logs/; the console gets a summary.
"""

from __future__ import annotations

import re
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from olist_dw.errors import UserFacingError
from olist_dw.settings import Settings

GOLD_SUMMARY_SQL = {
    "daily_revenue_by_state": "select count(*), sum(total_orders), sum(daily_revenue) from gold.daily_revenue_by_state",
    "monthly_category_sales": "select count(*), sum(total_orders), sum(revenue) from gold.monthly_category_sales",
    "seller_performance": "select count(*), sum(total_orders), sum(revenue) from gold.seller_performance",
    "delivery_performance": "select count(*), sum(delivered_orders), null from gold.delivery_performance",
}


def run_batch_dag(settings: Settings, log_path: Path | None = None) -> Path:
    """Run olist_batch once through Airflow; raise a UserFacingError with the failing reason."""
    from olist_dw.airflow_local import ensure_airflow_db, run_airflow
    from olist_dw.dbt_runner import MANIFEST_PATH, build_manifest

    if not MANIFEST_PATH.exists():
        build_manifest()
    ensure_airflow_db(settings)
    log_path = log_path or settings.home / "logs" / f"olist_batch-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, "w") as log:
        result = run_airflow(
            ["dags", "test", "olist_batch"], settings, check=False, stdout=log, stderr=subprocess.STDOUT
        )
    elapsed = time.perf_counter() - started
    text = log_path.read_text(errors="replace")
    state = re.search(r"DagRun Finished:.*?state=(\w+)", text)
    state = state.group(1) if state else "unknown"
    if result.returncode != 0 or state != "success":
        raise UserFacingError(
            f"olist_batch run {state} after {elapsed:.0f} s: {failure_reason(text)} (log: {log_path})"
        )
    print(f"batch: olist_batch DAG run succeeded in {elapsed:.0f} s (log: {log_path})")
    return log_path


def failure_reason(log_text: str) -> str:
    """The most telling error line of a failed run's log."""
    for pattern in (
        r"FileRejectedError: (.*)",
        r"UserFacingError: (.*)",
        r"(Database Error.*|Failure in test.*)",
        r"(?m)^((?:[\w.]+\.)?\w+(?:Error|Exception): .*)$",
    ):
        found = re.findall(pattern, log_text)
        if found:
            return found[-1].strip()
    failed = re.findall(r"Marking task as FAILED.*?task_id=([\w.]+)", log_text)
    return f"task {failed[0]} failed" if failed else "see the log"


def print_gold_summary(settings: Settings) -> None:
    from olist_dw.warehouse import connect_read_only

    con = connect_read_only(settings.serving_path)
    try:
        print(f"\ngold tables in {settings.serving_path}:")
        print(f"  {'table':28} {'rows':>8} {'orders':>10} {'revenue':>16}")
        for table, sql in GOLD_SUMMARY_SQL.items():
            rows, orders, revenue = con.execute(sql).fetchone()
            revenue_text = f"{revenue:,.2f}" if revenue is not None else "-"
            print(f"  gold.{table:23} {rows:>8,} {orders or 0:>10,} {revenue_text:>16}")
    finally:
        con.close()
    print(f"build warehouse (dbt writes here): {settings.warehouse_path}")
    print(f"published snapshot (read-only):    {settings.serving_path}")


def batch_demo(settings: Settings) -> None:
    print("\nbatch: running the olist_batch DAG through Airflow (airflow dags test) ...")
    run_batch_dag(settings)
    print_gold_summary(settings)
