"""The local DuckDB warehouse: one writer at a time, readers on an atomically published snapshot.

See docs/architecture.md ("Local warehouse concurrency"). The build file (`warehouse.duckdb`) is written
only by tasks in the `olist_warehouse` pool; `publish()` copies validated schemas into a new file and
renames it onto the serving file, which readers open read-only.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb

from olist_dw.dbt_runner import release_in_process_dbt_duckdb
from olist_dw.errors import UserFacingError


class WarehouseLockedError(UserFacingError):
    """Another process holds the DuckDB file for writing."""

    retryable = True  # the other process lets go: the task keeps its retries


def _is_lock_error(err: Exception) -> bool:
    return "lock" in str(err).lower()


def fetch_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    """The one row an aggregate query returns (DuckDB types fetchone() as optional)."""
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise RuntimeError(f"no row from: {sql}")
    return row


def connect_for_write(path: Path, timeout_s: float = 60.0) -> duckdb.DuckDBPyConnection:
    """Open the build warehouse for writing, waiting (with backoff) while another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as err:
            if not _is_lock_error(err) or time.monotonic() >= deadline:
                if _is_lock_error(err):
                    raise WarehouseLockedError(
                        f"{path} is locked by another process for more than {timeout_s:.0f} s "
                        "(close any DuckDB shell on it; pipeline writers queue in the olist_warehouse pool)"
                    ) from err
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def connect_read_only(serving_path: Path) -> duckdb.DuckDBPyConnection:
    """Open the published snapshot read-only; a missing snapshot gets a message saying how to build it.

    DuckDB shares one database instance per path within a process, so a long-lived reader (the dashboard)
    opens a connection per query batch and closes it, to pick up the latest published snapshot.
    """
    if not serving_path.exists():
        raise UserFacingError(
            f"no published warehouse at {serving_path}: run `make demo` (or the olist_batch DAG) first"
        )
    return duckdb.connect(str(serving_path), read_only=True)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas: Iterable[str]) -> list[tuple[str, str]]:
    wanted = list(schemas)
    if not wanted:
        return []
    placeholders = ", ".join("?" for _ in wanted)
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        f"where database_name = ? and schema_name in ({placeholders}) order by 1, 2",
        [catalog, *wanted],
    ).fetchall()
    return [(s, t) for s, t in rows]


def _schemas(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    rows = con.execute("select distinct schema_name from duckdb_tables() where database_name = ?", [catalog]).fetchall()
    return {r[0] for r in rows}


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_leftover_snapshots(serving_path: Path) -> list[Path]:
    """Delete the temporary snapshots (and their WAL) of publishes whose process died before cleaning up
    (a SIGKILL skips `finally`); a running publish's file is left alone. Returns what was removed."""
    removed = []
    pattern = re.compile(rf"^\.{re.escape(serving_path.name)}\.(\d+)\.[0-9a-f]+\.tmp(\.wal)?$")
    for path in serving_path.parent.glob(f".{serving_path.name}.*.tmp*"):
        found = pattern.match(path.name)
        if found and not _pid_alive(int(found.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def publish(build_path: Path, serving_path: Path, schemas: Iterable[str]) -> dict[str, int]:
    """Publish `schemas` of the build warehouse: readers see all of them at once, or none.

    Tables of other schemas are carried over from the current snapshot, so publishing one schema set
    never exposes another set's unvalidated tables. Returns the row count of each published table.
    """
    schemas = sorted(set(schemas))
    release_in_process_dbt_duckdb()  # dbt may have built the file in this very process
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftover_snapshots(serving_path)
    # The writer's pid in the name: a later publish removes what a killed one left, and only that.
    tmp_path = serving_path.with_name(f".{serving_path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(tmp_path))
        try:
            con.execute(f"attach '{build_path}' as build (read_only)")
            sources = [("build", s, t) for s, t in _tables(con, "build", schemas)]
            missing = set(schemas) - {s for _, s, _ in sources}
            if missing:
                raise UserFacingError(f"cannot publish: schema(s) {sorted(missing)} have no table in {build_path}")
            if serving_path.exists():
                con.execute(f"attach '{serving_path}' as current (read_only)")
                carried = _schemas(con, "current") - set(schemas)
                sources += [("current", s, t) for s, t in _tables(con, "current", carried)]
            for catalog, schema, table in sources:
                con.execute(f'create schema if not exists "{schema}"')
                con.execute(f'create table "{schema}"."{table}" as select * from {catalog}."{schema}"."{table}"')
                if catalog == "build":
                    counts[f"{schema}.{table}"] = fetch_row(con, f'select count(*) from "{schema}"."{table}"')[0]
            con.execute("detach build")
            if serving_path.exists():
                con.execute("detach current")
            con.execute("checkpoint")
        finally:
            con.close()
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, serving_path)  # atomic: readers see the old or the new snapshot, never a mix
        _fsync_folder(serving_path.parent)  # the rename itself survives a power cut
    finally:
        for leftover in (tmp_path, tmp_path.with_name(tmp_path.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return counts
