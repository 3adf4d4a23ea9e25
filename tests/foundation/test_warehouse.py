from pathlib import Path

import duckdb
import pytest

from olist_dw.errors import UserFacingError
from olist_dw.warehouse import connect_for_write, connect_read_only, publish


def _build(path: Path, revenue: float, rt_rows: int = 1) -> None:
    con = connect_for_write(path)
    con.execute("create schema if not exists gold")
    con.execute("create schema if not exists realtime")
    con.execute("create or replace table gold.daily as select ? as revenue", [revenue])
    con.execute(f"create or replace table realtime.gold_sim as select range as n from range({rt_rows})")
    con.close()


def test_publish_is_a_snapshot_readers_keep(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "analytics.duckdb"
    _build(build, 10.0)
    counts = publish(build, serving, ["gold"])
    assert counts == {"gold.daily": 1}
    reader = connect_read_only(serving)
    _build(build, 20.0)
    publish(build, serving, ["gold"])
    # the open reader keeps its snapshot; once closed, a new reader sees the new one
    # (DuckDB shares one instance per path within a process: readers connect per query batch)
    assert reader.execute("select revenue from gold.daily").fetchone()[0] == 10.0
    reader.close()
    assert connect_read_only(serving).execute("select revenue from gold.daily").fetchone()[0] == 20.0
    # the build file can be written while a reader holds the serving file
    _build(build, 30.0)


def test_publishing_one_schema_carries_the_others_over(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "analytics.duckdb"
    _build(build, 10.0, rt_rows=1)
    publish(build, serving, ["gold", "realtime"])
    _build(build, 99.0, rt_rows=5)  # e.g. a batch run whose tests then failed changed gold
    publish(build, serving, ["realtime"])
    con = connect_read_only(serving)
    assert con.execute("select revenue from gold.daily").fetchone()[0] == 10.0
    assert con.execute("select count(*) from realtime.gold_sim").fetchone()[0] == 5


def test_read_only_connection_refuses_writes(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "analytics.duckdb"
    _build(build, 1.0)
    publish(build, serving, ["gold"])
    with pytest.raises(duckdb.Error, match="read-only"):
        connect_read_only(serving).execute("delete from gold.daily")


def test_missing_snapshot_and_missing_schema_name_the_file(tmp_path: Path):
    with pytest.raises(UserFacingError, match="analytics.duckdb"):
        connect_read_only(tmp_path / "analytics.duckdb")
    _build(tmp_path / "w.duckdb", 1.0)
    with pytest.raises(UserFacingError, match="marts"):
        publish(tmp_path / "w.duckdb", tmp_path / "analytics.duckdb", ["marts"])
    assert not (tmp_path / "analytics.duckdb").exists()
