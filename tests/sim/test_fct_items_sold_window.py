"""fct_items_sold's duplicate check reads the loaded rows purchased since the earliest purchase it reads, not
the whole table, and still finds every first copy: a redelivered event is dropped whether its first copy
arrived inside the lookback window or days before it (tests/sim/test_replay.py replays such events)."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb

from olist_dw.settings import get_settings
from olist_dw.targets import get_target
from tests.sim.conftest import tick_and_deliver

LOOKBACK_DAYS = 1  # dbt_project.yml var realtime_lookback_days


def _deliver_and_build(build_realtime) -> list:
    files = tick_and_deliver(3)
    build_realtime()
    return files


def _age_loaded_rows(days: int) -> int:
    """Pretend every loaded row arrived `days` ago, and a newer (unrelated) event arrived today."""
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        today = con.execute("select max(arrival_date) from realtime.fct_items_sold").fetchone()[0]
        con.execute("update realtime.fct_items_sold set arrival_date = arrival_date - ?::integer", [days])
        con.execute(
            "insert into realtime.fct_items_sold by name select event_item_key || '-newer' as event_item_key, "
            "event_id || '-newer' as event_id, * exclude (event_item_key, event_id, arrival_date), "
            "?::date as arrival_date from realtime.fct_items_sold limit 1",
            [today],
        )
        return con.execute("select count(*) from realtime.fct_items_sold").fetchone()[0]


def _run_realtime_models() -> None:
    """dbt run (no tests: the aged rows and a duplicate counted again would fail them on purpose)."""
    from olist_dw.dbt_runner import release_in_process_dbt_duckdb, run_dbt

    try:
        run_dbt(["run", "--select", "tag:realtime", "--quiet"], get_target(get_settings()))
    finally:
        release_in_process_dbt_duckdb()


def _redeliver(files, name: str) -> None:
    """The first file again, under another name in its arrival folder (as Firehose may)."""
    shutil.copy(files[0].path, files[0].path.with_name(name))


def _items_loaded() -> int:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute("select count(*) from realtime.fct_items_sold").fetchone()[0]


def test_a_redelivered_event_is_dropped_wherever_its_first_copy_arrived(sim_home, build_realtime):
    files = _deliver_and_build(build_realtime)
    assert _items_loaded() > 0

    # first copies arrived inside the window (newest arrival - realtime_lookback_days): dropped
    loaded = _age_loaded_rows(LOOKBACK_DAYS)
    _redeliver(files, "redelivered-1.parquet")
    _run_realtime_models()
    assert _items_loaded() == loaded

    # first copies arrived before the window: today's files (the originals and both copies) are read
    # again, and every event is found by its purchase time, so none counts twice
    loaded = _age_loaded_rows(2)
    _redeliver(files, "redelivered-2.parquet")
    _run_realtime_models()
    assert _items_loaded() == loaded


def test_the_compiled_sql_bounds_both_scans_by_literals(sim_home, build_realtime, tmp_path):
    _deliver_and_build(build_realtime)
    build_realtime()  # incremental now: the compiled SQL has the bounds
    compiled = next((tmp_path / "dbt-target").rglob("compiled/**/fct_items_sold.sql")).read_text()
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        newest = con.execute("select max(arrival_date) from realtime.fct_items_sold").fetchone()[0]
        window_start = newest - dt.timedelta(days=LOOKBACK_DAYS)
        (floor,) = con.execute(
            "select min(purchased_at) from staging.stg_sim__order_items where arrival_date >= ?", [window_start]
        ).fetchone()
    assert f"where arrival_date >= cast('{window_start}' as date)" in compiled  # the files read
    assert f"loaded.purchased_at >= cast('{floor}' as timestamp)" in compiled  # the loaded rows looked up
