import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest

from olist_dw import warehouse
from olist_dw.errors import UserFacingError
from olist_dw.warehouse import connect_for_write, connect_read_only, publish, set_file

APPENDED = {"realtime.items": "_loaded_at"}


def _build(path: Path, revenue: float, rt_rows: int = 1) -> None:
    con = connect_for_write(path)
    con.execute("create schema if not exists gold")
    con.execute("create schema if not exists realtime")
    con.execute("create or replace table gold.daily as select ? as revenue", [revenue])
    con.execute(f"create or replace table realtime.gold_sim as select range as n from range({rt_rows})")
    con.close()


def _load_items(build: Path, first: int, count: int, loaded_at: str) -> None:
    """Append `count` items (ids first..) in one load, as fct_items_sold's incremental run does."""
    con = connect_for_write(build)
    con.execute("create schema if not exists realtime")
    con.execute(
        "create table if not exists realtime.items(item_id integer, price decimal(12, 2), _loaded_at timestamp)"
    )
    con.execute(
        "insert into realtime.items select range, range / 100, cast(? as timestamp) from range(?, ?)",
        [loaded_at, first, first + count],
    )
    con.close()


def _publish_realtime(build: Path, serving: Path) -> dict[str, int]:
    return publish(build, serving, ["realtime"], schema_set="realtime", appended=APPENDED)


def _items(serving: Path) -> list[int]:
    with connect_read_only(serving) as con:
        return [r[0] for r in con.execute("select item_id from realtime.items order by 1").fetchall()]


def _parts(serving: Path) -> list[Path]:
    return sorted((serving.parent / "analytics.realtime.parts" / "realtime.items").glob("*.parquet"))


def test_publish_is_a_snapshot_readers_keep(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "analytics.duckdb"
    _build(build, 10.0)
    counts = publish(build, serving, ["gold"])
    assert counts == {"gold.daily": 1}
    reader = connect_read_only(serving)
    _build(build, 20.0)
    publish(build, serving, ["gold"])
    # the open reader keeps its snapshot; a new reader sees the new one
    assert reader.execute("select revenue from gold.daily").fetchone()[0] == 10.0
    assert connect_read_only(serving).execute("select revenue from gold.daily").fetchone()[0] == 20.0
    reader.close()
    # the build file can be written while a reader holds the serving file
    _build(build, 30.0)


def test_each_set_has_its_own_file_and_publishing_one_leaves_the_other_untouched(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "analytics.duckdb"
    _build(build, 10.0, rt_rows=1)
    publish(build, serving, ["gold"])
    publish(build, serving, ["realtime"], schema_set="realtime")
    batch_file = serving.stat()
    _build(build, 99.0, rt_rows=5)  # e.g. a batch run whose tests then failed changed gold
    publish(build, serving, ["realtime"], schema_set="realtime")
    assert (serving.stat().st_ino, serving.stat().st_mtime_ns) == (batch_file.st_ino, batch_file.st_mtime_ns)
    with duckdb.connect(str(set_file(serving, "realtime")), read_only=True) as con:
        assert {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()} == {"realtime"}
    with connect_read_only(serving) as con:  # one connection, both sets, the schema names of the build
        assert con.execute("select revenue from gold.daily").fetchone()[0] == 10.0
        assert con.execute("select count(*) from realtime.gold_sim").fetchone()[0] == 5
        assert con.execute("select revenue from analytics.gold.daily").fetchone()[0] == 10.0


def test_a_schema_published_in_one_set_is_refused_in_another(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "analytics.duckdb"
    _build(build, 1.0)
    publish(build, serving, ["gold", "realtime"])
    with pytest.raises(UserFacingError, match=r"\['realtime'\].*already published in .*analytics.duckdb"):
        publish(build, serving, ["realtime"], schema_set="realtime")
    assert not set_file(serving, "realtime").exists()


def test_read_only_connection_refuses_writes(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "analytics.duckdb"
    _build(build, 1.0)
    publish(build, serving, ["gold"])
    publish(build, serving, ["realtime"], schema_set="realtime")
    for statement in ("delete from gold.daily", "insert into realtime.gold_sim values (7)", "create table t(x int)"):
        with pytest.raises(duckdb.Error, match="read-only"):
            connect_read_only(serving).execute(statement)


def test_missing_snapshot_and_missing_schema_name_the_file(tmp_path: Path):
    with pytest.raises(UserFacingError, match="analytics.duckdb"):
        connect_read_only(tmp_path / "analytics.duckdb")
    _build(tmp_path / "w.duckdb", 1.0)
    with pytest.raises(UserFacingError, match="marts"):
        publish(tmp_path / "w.duckdb", tmp_path / "analytics.duckdb", ["marts"])
    assert not (tmp_path / "analytics.duckdb").exists()


def test_an_appended_table_publishes_only_the_rows_loaded_since_the_last_publish(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "analytics.duckdb"
    _build(build, 1.0)
    _load_items(build, 0, 1000, "2026-01-01 10:00:00")
    assert _publish_realtime(build, serving)["realtime.items"] == 1000
    first_part = _parts(serving)
    reader = connect_read_only(serving)
    _load_items(build, 1000, 30, "2026-01-01 10:00:05")
    assert _publish_realtime(build, serving) == {"realtime.gold_sim": 1, "realtime.items": 1030}
    new_parts = [p for p in _parts(serving) if p not in first_part]
    assert len(first_part) == 1 and len(new_parts) == 1
    assert duckdb.connect().execute(f"select count(*) from '{new_parts[0]}'").fetchone()[0] == 30  # only the new rows
    assert _items(serving) == list(range(1030))
    assert reader.execute("select count(*) from realtime.items").fetchone()[0] == 1000  # its snapshot, whole
    reader.close()
    with connect_read_only(serving) as con:  # the build's column types, not Parquet's
        types = con.execute("select data_type from duckdb_columns() where table_name = 'items'").fetchall()
        assert [t[0] for t in types] == ["INTEGER", "DECIMAL(12,2)", "TIMESTAMP"]
    assert _publish_realtime(build, serving)["realtime.items"] == 1030  # nothing new: no new part
    assert len(_parts(serving)) == 2


def test_an_appended_table_rebuilt_in_the_build_is_published_anew(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "analytics.duckdb"
    _build(build, 1.0)
    _load_items(build, 0, 100, "2026-01-01 10:00:00")
    _publish_realtime(build, serving)
    with connect_for_write(build) as con:  # a full refresh: other rows, an older load time
        con.execute("drop table realtime.items")
    _load_items(build, 500, 10, "2025-12-31 00:00:00")
    assert _publish_realtime(build, serving)["realtime.items"] == 10
    assert _items(serving) == list(range(500, 510))


def test_small_parts_are_merged_and_retired_parts_deleted_after_the_grace_period(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(warehouse, "MAX_SMALL_PARTS", 3)
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "analytics.duckdb"
    _build(build, 1.0)
    for load in range(5):
        _load_items(build, load * 10, 10, f"2026-01-01 10:00:0{load}")
        _publish_realtime(build, serving)
    # 4 small parts > 3: merged into one at the 4th publish; the 5th added one more
    with duckdb.connect(str(set_file(serving, "realtime")), read_only=True) as con:
        live = con.execute("select row_count from _publish.parts where retired_at is null order by 1").fetchall()
        retired = con.execute("select path from _publish.parts where retired_at is not null").fetchall()
    assert sorted(r[0] for r in live) == [10, 40] and len(retired) == 4
    assert all(Path(p[0]).exists() for p in retired)  # a reader opened before the merge still reads them
    assert _items(serving) == list(range(50))

    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=warehouse.RETIRED_PART_GRACE_S + 1)
    monkeypatch.setattr(
        warehouse.dt, "datetime", type("Later", (dt.datetime,), {"now": staticmethod(lambda tz: later)})
    )
    _publish_realtime(build, serving)
    assert not any(Path(p[0]).exists() for p in retired)
    assert len(_parts(serving)) == 2
    assert _items(serving) == list(range(50))


def test_a_killed_publish_part_is_removed_by_the_next_publish(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "analytics.duckdb"
    _build(build, 1.0)
    _load_items(build, 0, 10, "2026-01-01 10:00:00")
    _publish_realtime(build, serving)
    folder = _parts(serving)[0].parent
    orphan = folder / f"part-{_dead_pid()}-{'c' * 32}.parquet"
    orphan.write_bytes(b"half a part")
    running = folder / f"part-{os.getpid()}-{'d' * 32}.parquet"  # a publish still writing (this process)
    running.write_bytes(b"a part being written")
    _publish_realtime(build, serving)
    assert not orphan.exists() and running.exists()
    assert _items(serving) == list(range(10))


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
