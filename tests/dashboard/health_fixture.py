"""An OLIST_HOME with failures for the data-health page to show, each in the layout its writer uses:

- dbt: the batch's kept run_results.json (dbt 1.11's v6 layout, as olist_dw.dbt_artifacts keeps it) with
  one failed test (`unique_stg_olist__orders_order_id`, 1 failure), 3 passed and 1 skipped, and a micro-batch build
  whose tests all passed;
- quarantine: validate's report.json per table (FileReport's fields) with 3 + 2 rows of orders and 4 rows
  of order_items quarantined, and broken_keys.json with 4 order_ids;
- dead letters: 2 `malformed_json` and 1 `missing_required_field`, written by the simulator's own
  DeadLetter.to_json_line;
- gold_sim: the BI snapshot whose rows were all loaded 2 hours before STALE_NOW, or before now (stale at 900 s);
- alerts: a task_failed and a stale_gold_sim alert, then half a line (being appended).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from tests.dashboard.bi_fixture import build_serving_file

FAILED_TEST = "unique_stg_olist__orders_order_id"
QUARANTINED = {
    ("olist_orders_dataset.csv", "orders", "order_status: not one of the allowed values"): 3,
    ("olist_orders_dataset.csv", "orders", "order_purchase_timestamp: not a timestamp"): 2,
    ("olist_order_items_dataset.csv", "order_items", "order_id: not in olist_orders_dataset.csv"): 4,
}
DEAD_LETTER_REASONS = {"malformed_json": 2, "missing_required_field": 1}
GOLD_SIM_LOADED_AT = dt.datetime(2026, 11, 25, 10, 0, 0)  # naive, as dbt's cast(current_timestamp as timestamp)
STALE_NOW = dt.datetime(2026, 11, 25, 12, 0, 0, tzinfo=dt.UTC)
ALERT_MESSAGE = "Task olist_batch.transform.dbt_producer_watcher failed: dbt test unique_stg_olist__orders_order_id"


def _result(unique_id: str, status: str, failures: int | None = None, message: str | None = None) -> dict:
    return {
        "status": status,
        "timing": [],
        "thread_id": "Thread-1 (worker)",
        "execution_time": 0.2,
        "adapter_response": {"_message": "OK"},
        "message": message,
        "failures": failures,
        "unique_id": unique_id,
        "compiled": True,
        "relation_name": None,
        "batch_results": None,
    }


def _run_results(generated_at: str, results: list[dict]) -> dict:
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
            "dbt_version": "1.11.16",
            "generated_at": generated_at,
            "invocation_id": "ab30af49-6bff-4b40-b88d-b1d4dd0bc043",
            "env": {},
        },
        "results": results,
        "elapsed_time": 48.5,
        "args": {"which": "build"},
    }


def write_dbt_artifacts(home: Path) -> None:
    batch = home / "dbt-artifacts" / "olist_batch"
    batch.mkdir(parents=True)
    results = [
        _result("model.olist.stg_olist__orders", "success", message="OK"),
        _result(f"test.olist.{FAILED_TEST}.426f0a2be7", "fail", 1, "Got 1 result, configured to fail if != 0"),
        _result("test.olist.not_null_stg_olist__orders_order_id.81cfe2fe64", "pass", 0),
        _result("test.olist.not_null_stg_olist__customers_customer_id.1a2b3c4d5e", "pass", 0),
        _result("test.olist.unique_stg_olist__customers_customer_id.5e4d3c2b1a", "pass", 0),
        _result("model.olist.fct_orders", "skipped"),
        _result("test.olist.not_null_fct_orders_order_id.9e8d7c6b5a", "skipped"),  # its model was skipped
    ]
    (batch / "run_results.json").write_text(json.dumps(_run_results("2026-11-25T09:30:00.000000Z", results)))
    (batch / "run.json").write_text(json.dumps({"dag_id": "olist_batch", "run_id": "manual__2026-11-25T09:29"}))
    realtime = home / "dbt-artifacts" / "olist_realtime"
    realtime.mkdir(parents=True)
    ok = [
        _result("model.olist.fct_items_sold", "success", message="OK"),
        _result("test.olist.unique_fct_items_sold_event_id.0f0f0f0f0f", "pass", 0),
    ]
    (realtime / "run_results.json").write_text(json.dumps(_run_results("2026-11-25T10:00:00.000000Z", ok)))


def write_quarantine(lake_dir: Path) -> None:
    reports: dict[tuple[str, str], dict[str, int]] = {}
    for (file, table, reason), rows in QUARANTINED.items():
        reports.setdefault((file, table), {})[reason] = rows
    for (file, table), reasons in reports.items():
        folder = lake_dir / "quarantine" / table
        folder.mkdir(parents=True)
        rejected = sum(reasons.values())
        stem = file.removesuffix(".csv")
        report = {
            "file": file,
            "table": table,
            "rows": 1000,
            "rejected": rejected,
            "reasons": reasons,
            "quarantine": str(folder / f"{stem}.rejected.csv"),
        }
        (folder / "report.json").write_text(json.dumps(report, indent=2))
    clean = lake_dir / "quarantine" / "customers"
    clean.mkdir(parents=True)
    (clean / "report.json").write_text(
        json.dumps(
            {
                "file": "olist_customers_dataset.csv",
                "table": "customers",
                "rows": 990,
                "rejected": 0,
                "reasons": {},
                "quarantine": None,
            }
        )
    )
    broken = {"order_items": {"order_id": ["o-missing-1", "o-missing-2", "o-missing-3", "o-missing-4"]}}
    (lake_dir / "quarantine" / "broken_keys.json").write_text(json.dumps(broken, indent=1))


def write_dead_letters(lake_dir: Path) -> None:
    from olist_dw.sim.dead_letter import DeadLetter

    folder = lake_dir / "bronze-sim-errors" / "dt=2026-11-25" / "hour=09"
    folder.mkdir(parents=True)
    letters = [
        DeadLetter(101, 1_795_597_200.0, "malformed_json", "not valid JSON: Expecting value", b"{not json"),
        DeadLetter(102, 1_795_597_260.0, "malformed_json", "not UTF-8: invalid start byte", b"\xff\xfe"),
        DeadLetter(103, 1_795_597_320.0, "missing_required_field", "$: 'order_id' is a required property", b"{}"),
    ]
    (folder / "errors-101-103.jsonl").write_text("".join(letter.to_json_line() + "\n" for letter in letters))


def write_alerts(home: Path) -> None:
    folder = home / "alerts"
    folder.mkdir(parents=True)
    alerts = [
        {
            "at": "2026-11-25T09:31:00+00:00",
            "kind": "task_failed",
            "severity": "error",
            "dag_id": "olist_batch",
            "task_id": "transform.dbt_producer_watcher",
            "run_id": "manual__2026-11-25T09:29",
            "message": ALERT_MESSAGE,
        },
        {
            "at": "2026-11-25T11:45:00+00:00",
            "kind": "stale_gold_sim",
            "severity": "warn",
            "dag_id": "olist_realtime",
            "task_id": "check_freshness",
            "run_id": None,
            "message": "realtime.gold_sim is 6300 s old (over 900 s)",
        },
    ]
    lines = [json.dumps(alert) for alert in alerts] + ['{"at": "2026-11-25T11:50:00+00:00", "kind": "task_f']
    (folder / "alerts.jsonl").write_text("\n".join(lines))


def stale_gold_sim(serving_path: Path, loaded_at: dt.datetime | None = GOLD_SIM_LOADED_AT) -> Path:
    """The BI snapshot with gold_sim's watermark column, every row loaded at `loaded_at` (None: two hours
    before now, taken as dbt takes it: DuckDB's current_timestamp cast to a timestamp without zone)."""
    build_serving_file(serving_path)
    con = duckdb.connect(str(serving_path))
    try:
        con.execute("alter table realtime.gold_sim add column _silver_loaded_at timestamp")
        if loaded_at is None:
            con.execute(
                "update realtime.gold_sim "
                "set _silver_loaded_at = cast(current_timestamp as timestamp) - interval 2 hour"
            )
        else:
            con.execute("update realtime.gold_sim set _silver_loaded_at = ?", [loaded_at])
        con.execute("checkpoint")
    finally:
        con.close()
    return serving_path


def build_health_home(home: Path, gold_sim_loaded_at: dt.datetime | None = GOLD_SIM_LOADED_AT) -> Path:
    """Everything above in `home` (an OLIST_HOME): the page has a failure of every kind to show."""
    home.mkdir(parents=True, exist_ok=True)
    write_dbt_artifacts(home)
    write_quarantine(home / "lake")
    write_dead_letters(home / "lake")
    write_alerts(home)
    stale_gold_sim(home / "serving" / "analytics.duckdb", gold_sim_loaded_at)
    return home
