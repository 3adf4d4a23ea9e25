"""The batch step of `olist-dw demo`: a real olist_batch DAG run through Airflow, then what it published.

`airflow dags test olist_batch` (olist_dw.airflow_local.run_dag) runs one real DAG run in-process against
the local metadata database, which is what a demo wants: it ends when the run ends, with the run's state.
The run's full log goes to OLIST_HOME/logs/; the console gets a summary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from olist_dw.settings import Settings

GOLD_SUMMARY_SQL = {
    "daily_revenue_by_state": "select count(*), sum(total_orders), sum(daily_revenue) from gold.daily_revenue_by_state",
    "monthly_category_sales": "select count(*), sum(total_orders), sum(revenue) from gold.monthly_category_sales",
    "seller_performance": "select count(*), sum(total_orders), sum(revenue) from gold.seller_performance",
    "delivery_performance": "select count(*), sum(delivered_orders), null from gold.delivery_performance",
}


def run_batch_dag(settings: Settings, log_path: Path | None = None) -> Path:
    """Run olist_batch once through Airflow; raise a UserFacingError with the failing reason."""
    from olist_dw.airflow_local import ensure_airflow_db, run_dag
    from olist_dw.batch.land import find_source_files
    from olist_dw.dbt_runner import MANIFEST_PATH, build_manifest
    from olist_dw.source_data import ensure_source_data
    from olist_dw.targets import get_target

    # A missing source file is named now, not after Airflow's start-up and the DAG run's land task.
    find_source_files(ensure_source_data(settings))
    if not MANIFEST_PATH.exists():
        build_manifest(get_target(settings))
    ensure_airflow_db(settings)
    log_path = log_path or settings.home / "logs" / f"olist_batch-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    elapsed = run_dag("olist_batch", settings, log_path)
    print(f"batch: olist_batch DAG run succeeded in {elapsed:.0f} s (log: {log_path})")
    return log_path


def print_gold_summary(settings: Settings) -> None:
    from olist_dw.warehouse import connect_read_only, fetch_row

    con = connect_read_only(settings.serving_path)
    try:
        print(f"\ngold tables in {settings.serving_path}:")
        print(f"  {'table':28} {'rows':>8} {'orders':>10} {'revenue':>16}")
        for table, sql in GOLD_SUMMARY_SQL.items():
            rows, orders, revenue = fetch_row(con, sql)
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
