"""Publish after a crash: a killed publish's temporary snapshot is removed by the next one (a running one's is
left alone), and the rename onto the serving file is made durable by an fsync of the folder; a realtime publish
fsyncs its new Parquet part and the parts folder before the rename that makes the part visible."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb

from olist_dw import warehouse
from olist_dw.warehouse import publish


def _build(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema gold")
    con.execute("create table gold.daily as select 1 as n")
    con.close()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_publish_removes_what_a_killed_publish_left_and_keeps_a_running_ones(tmp_path: Path):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "analytics.duckdb"
    _build(build)
    serving.parent.mkdir()
    dead = serving.with_name(f".analytics.duckdb.{_dead_pid()}.{'a' * 32}.tmp")
    dead_wal = dead.with_name(dead.name + ".wal")
    running_publisher = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        running = serving.with_name(f".analytics.duckdb.{running_publisher.pid}.{'b' * 32}.tmp")
        for path in (dead, dead_wal, running):
            path.write_bytes(b"half a snapshot")

        publish(build, serving, ["gold"])

        assert not dead.exists() and not dead_wal.exists()
        assert running.exists()
        assert sorted(p.name for p in serving.parent.iterdir()) == sorted(["analytics.duckdb", running.name])
    finally:
        running_publisher.kill()
        running_publisher.wait()


def test_publish_fsyncs_the_serving_folder_after_the_rename(tmp_path: Path, monkeypatch):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "analytics.duckdb"
    _build(build)
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src, dst) -> None:
        real_replace(src, dst)
        events.append("rename")

    monkeypatch.setattr(warehouse.os, "fsync", fsync)
    monkeypatch.setattr(warehouse.os, "replace", replace)
    publish(build, serving, ["gold"])
    assert events == ["fsync file", "rename", "fsync folder"]


def test_a_realtime_publish_fsyncs_its_new_part_and_the_parts_folder_before_the_rename(tmp_path: Path, monkeypatch):
    build, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "analytics.duckdb"
    con = duckdb.connect(str(build))
    con.execute("create schema realtime")
    con.execute("create table realtime.items as select range as n, now()::timestamp as _loaded_at from range(5)")
    con.close()
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        target = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            events.append(f"fsync folder {target.name}")
        else:
            events.append(f"fsync file {target.suffix}")
        real_fsync(fd)

    def replace(src, dst) -> None:
        real_replace(src, dst)
        events.append("rename")

    monkeypatch.setattr(warehouse.os, "fsync", fsync)
    monkeypatch.setattr(warehouse.os, "replace", replace)
    publish(build, serving, ["realtime"], schema_set="realtime", appended={"realtime.items": "_loaded_at"})
    assert events == [
        "fsync file .parquet",
        "fsync folder realtime.items",
        "fsync file .tmp",
        "rename",
        "fsync folder serving",
    ]
