"""Freshness: which measurements are alerts (pure), the sources YAML's defaults, the check measuring the lake
while another process holds the warehouse's write lock, and real DAG runs (`airflow dags test`): an
olist_realtime whose dbt build fails while the simulator produces, then olist_freshness: the failed task and the
stale published gold_sim are both alerts in the file."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from olist_dw.alerts import Alert
from olist_dw.freshness import SourceFreshness, alerts_due, freshness_alerts
from olist_dw.settings import DBT_PROJECT_DIR, Settings, get_settings

IDS = {"dag_id": "olist_freshness", "task_id": "check_freshness", "run_id": "manual__1"}


def sim_orders(status: str, age_seconds: float) -> SourceFreshness:
    return SourceFreshness("sim.orders", status, age_seconds, "2026-12-02T18:00:00+00:00")


def test_an_old_gold_sim_is_stale_only_while_the_simulator_produces():
    settings = Settings(gold_sim_stale_seconds=300)
    (stale,) = freshness_alerts(settings, [sim_orders("pass", 20)], gold_sim_age=301, ids=IDS)
    assert (stale.kind, stale.severity, stale.task_id) == ("stale_gold_sim", "error", "check_freshness")
    assert "301 s old" in stale.message and "OLIST_GOLD_SIM_STALE_SECONDS=300" in stale.message
    assert freshness_alerts(settings, [sim_orders("pass", 20)], gold_sim_age=299, ids=IDS) == []
    # The simulator idle for longer than the threshold: an old gold_sim is expected, no stale alert.
    assert freshness_alerts(settings, [sim_orders("pass", 400)], gold_sim_age=4000, ids=IDS) == []
    assert freshness_alerts(settings, [sim_orders("pass", 20)], gold_sim_age=None, ids=IDS) == []


def test_freshness_warnings_and_errors_are_source_freshness_alerts():
    settings = Settings(sim_freshness_warn_minutes=15, sim_freshness_error_minutes=60, gold_sim_stale_seconds=60)
    outcomes = [sim_orders("warn", 1000), SourceFreshness("sim.orders", "runtime error", None, None, "no files")]
    warn, failed = freshness_alerts(settings, outcomes, gold_sim_age=5, ids=IDS)
    assert (warn.kind, warn.severity) == ("source_freshness", "warn")
    assert "1000 s old" in warn.message and "warn threshold of 15 min" in warn.message
    assert (failed.kind, failed.severity) == ("source_freshness", "error") and "no files" in failed.message
    assert freshness_alerts(settings, [sim_orders("pass", 10)], gold_sim_age=5, ids=IDS) == []


def test_a_lasting_condition_alerts_when_it_starts_worsens_and_then_every_repeat_window():
    settings = Settings(alert_repeat_minutes=30)
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    stale = Alert("stale_gold_sim", "error", "gold_sim is 1000 s old", dag_id="olist_realtime")
    warn = Alert("source_freshness", "warn", "newest event 1000 s old", dag_id="olist_realtime")

    def sent(alert: Alert, minutes_ago: float) -> dict:
        return {**alert.as_record(), "at": (now - timedelta(minutes=minutes_ago)).isoformat()}

    assert alerts_due(settings, [stale, warn], [], now) == [stale, warn]  # the condition starts
    assert alerts_due(settings, [stale, warn], [sent(stale, 5), sent(warn, 29)], now) == []  # held back
    assert alerts_due(settings, [stale], [sent(stale, 31)], now) == [stale]  # the window passed: again
    error = Alert("source_freshness", "error", "newest event 4000 s old", dag_id="olist_realtime")
    assert alerts_due(settings, [error], [sent(warn, 1)], now) == [error]  # worse: a new severity goes out
    other_dag = Alert("stale_gold_sim", "error", "gold_sim is 1000 s old", dag_id="another_dag")
    assert alerts_due(settings, [other_dag], [sent(stale, 1)], now) == [other_dag]
    assert alerts_due(Settings(alert_repeat_minutes=0), [stale], [sent(stale, 0.1)], now) == [stale]
    assert alerts_due(settings, [stale], [{"kind": "stale_gold_sim", "at": "not a time"}], now) == [stale]


def test_the_sources_yaml_thresholds_default_to_the_settings_defaults():
    text = (DBT_PROJECT_DIR / "models" / "staging" / "sim" / "_sim__sources.yml").read_text()
    (source,) = yaml.safe_load(text)["sources"]
    freshness = source["config"]["freshness"]
    defaults = Settings.model_fields
    assert (
        f"'OLIST_SIM_FRESHNESS_WARN_MINUTES', '{defaults['sim_freshness_warn_minutes'].default}'"
        in (freshness["warn_after"]["count"])
    )
    assert (
        f"'OLIST_SIM_FRESHNESS_ERROR_MINUTES', '{defaults['sim_freshness_error_minutes'].default}'"
        in (freshness["error_after"]["count"])
    )
    assert source["config"]["loaded_at_field"] == "cast(produced_at as timestamp)"


def write_event_with_a_negative_price(delivered: Path) -> Path:
    """A copy of a delivered file's first event as a new order with a negative price, produced now, beside it.
    The local delivery would dead-letter it; a managed delivery stream lands what it gets: fct_items_sold's
    non_negative test fails the micro-batch's dbt build, while the event itself is fresh."""
    table = pq.read_table(delivered)
    event = table.slice(0, 1).to_pylist()[0]
    event.update(event_id=str(uuid.uuid4()), order_id=uuid.uuid4().hex)
    event["produced_at"] = datetime.now(UTC).replace(tzinfo=None)  # the files' timestamps are naive UTC
    event["items"] = [{**event["items"][0], "price": -event["items"][0]["price"]}]
    path = delivered.with_name(f"bad-producer-{uuid.uuid4().hex[:8]}.parquet")
    pq.write_table(type(table).from_pylist([event], schema=table.schema), path)
    return path


STALE_SECONDS = 600


def age_the_built_gold_sim(settings: Settings, seconds: int) -> None:
    """Make the build's gold_sim rows `seconds` older before they are published, as if no micro-batch had
    published since (no other process has the build file open here)."""
    import duckdb

    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(f"update realtime.gold_sim set _silver_loaded_at = _silver_loaded_at - interval {seconds} second")


HOLD_THE_WRITE_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("create or replace table lock_holder as select 1 as x")
print("holding", flush=True)
time.sleep(120)
"""


def test_the_check_measures_the_lake_while_another_process_writes_the_warehouse(sim_home):
    """DuckDB lets no other process open a file while one writes it: the check must not need the warehouse."""
    import subprocess
    import sys

    from olist_dw.freshness import check_freshness
    from olist_dw.targets import get_target
    from tests.sim.conftest import tick_and_deliver

    settings = get_settings()
    tick_and_deliver(2)
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_WRITE_LOCK, str(settings.warehouse_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "holding"
        summary = check_freshness(settings, get_target(settings))
    finally:
        writer.kill()
        writer.wait(timeout=10)
    (orders,) = summary["sources"]
    assert (orders["source"], orders["status"]) == ("sim.orders", "pass"), orders
    assert 0 <= orders["age_seconds"] < 300
    assert summary["alerts"] == []


def test_before_the_first_file_lands_there_is_nothing_to_alert(sim_home):
    from olist_dw.freshness import NO_EVENTS_YET, check_freshness
    from olist_dw.targets import get_target

    settings = get_settings()
    summary = check_freshness(settings, get_target(settings))
    assert [source["status"] for source in summary["sources"]] == [NO_EVENTS_YET]
    assert summary["alerts"] == [] and summary["gold_sim_age_seconds"] is None


@pytest.mark.e2e
def test_a_failed_micro_batch_alerts_the_task_and_the_next_check_the_stale_gold_sim(sim_home, monkeypatch, tmp_path):
    from olist_dw.airflow_local import airflow_env, ensure_airflow_db, run_dag
    from olist_dw.alerts import read_alerts
    from olist_dw.dbt_runner import release_in_process_dbt_duckdb, run_dbt
    from olist_dw.errors import UserFacingError
    from olist_dw.targets import get_target
    from tests.dags.dag_runs import task_report
    from tests.sim.conftest import tick_and_deliver

    monkeypatch.setenv("OLIST_TASK_RETRIES", "0")
    monkeypatch.setenv("OLIST_GOLD_SIM_STALE_SECONDS", str(STALE_SECONDS))
    settings = get_settings()
    target = get_target(settings)
    files = tick_and_deliver(3)
    # A first micro-batch published gold_sim (in-process; the DAG run under test is the next one), an hour ago.
    try:
        run_dbt(["build", "--select", "tag:realtime", "--quiet"], target)
    finally:
        release_in_process_dbt_duckdb()
    age_the_built_gold_sim(settings, 3600)
    target.publish_realtime()
    ensure_airflow_db(settings)
    write_event_with_a_negative_price(files[0].path)  # produced now: the simulator is running

    with pytest.raises(UserFacingError, match="olist_realtime run failed"):
        run_dag("olist_realtime", settings, tmp_path / "olist_realtime.log")

    report = task_report(airflow_env(settings), "olist_realtime")
    assert report["run"] == "failed"
    assert report["tasks"]["dbt_build_realtime"][0] == "failed"
    assert report["tasks"]["publish_realtime"][0] == "upstream_failed"
    assert [alert["kind"] for alert in read_alerts(settings)] == ["task_failed"]

    run_dag("olist_freshness", settings, tmp_path / "olist_freshness.log")  # its clock's next run
    assert task_report(airflow_env(settings), "olist_freshness")["tasks"]["check_freshness"][0] == "success"
    alerts = {alert["kind"]: alert for alert in read_alerts(settings)}
    assert set(alerts) == {"task_failed", "stale_gold_sim"}, alerts
    failed, stale = alerts["task_failed"], alerts["stale_gold_sim"]
    assert (failed["dag_id"], failed["task_id"]) == ("olist_realtime", "dbt_build_realtime")
    assert failed["severity"] == "error"
    assert (stale["dag_id"], stale["task_id"], stale["severity"]) == ("olist_freshness", "check_freshness", "error")
    assert "published realtime.gold_sim is" in stale["message"]
