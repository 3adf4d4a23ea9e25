"""The local DuckDB warehouse: one writer at a time, readers on atomically published snapshots.

See docs/architecture.md ("Local warehouse concurrency"). The build file (`warehouse.duckdb`) is written
only by tasks in the `olist_warehouse` pool. What readers see is the *serving snapshot*: one DuckDB file per
published schema set, each replaced on its own by write-then-rename, so a publish costs what its set
changed, not what the other sets hold:

- `serving/analytics.duckdb` (`settings.serving_path`): the batch's `marts` and `gold`;
- `serving/analytics.<set>.duckdb`: another set beside it, e.g. `analytics.realtime.duckdb`.

An append-only table (`fct_items_sold`, `appended=`) is published as immutable Parquet parts under
`serving/analytics.<set>.parts/<schema>.<table>/`: a publish writes only the rows loaded since the last
one, and the set file holds a view over the parts it lists (and the part list itself, `_publish.parts`),
so the set's rename still switches readers from one whole table to the next. Small parts are merged
now and then (bounded: at most ~SMALL_PART_ROWS rows per merge); a part left out of the list is deleted
after RETIRED_PART_GRACE_S, so a reader opened before stays valid that long.

`connect_read_only` attaches every set file read-only into an in-memory DuckDB, with a search path that
keeps the schema names readers use (`gold.x`, `realtime.gold_sim`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

from olist_dw.dbt_runner import release_in_process_dbt_duckdb
from olist_dw.errors import UserFacingError

# Parts of an appended table below this many rows are "small": once there are more than MAX_SMALL_PARTS
# of them they are merged into one, so a view reads few files and no merge rewrites much.
SMALL_PART_ROWS = 50_000
MAX_SMALL_PARTS = 16
# A part taken out of the list (merged, or the table rebuilt) stays on disk this long for open readers.
RETIRED_PART_GRACE_S = 15 * 60
MANIFEST_SCHEMA = "_publish"  # inside a set file; readers do not get it on their search path


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


def set_file(serving_path: Path, schema_set: str | None = None) -> Path:
    """The serving file of one published schema set: `serving_path` itself, or `<stem>.<set>.duckdb` beside it."""
    if schema_set is None:
        return serving_path
    if not re.fullmatch(r"[a-z][a-z0-9_]*", schema_set):
        raise UserFacingError(f"schema set name {schema_set!r}: lower-case letters, digits and _ only")
    return serving_path.with_name(f"{serving_path.stem}.{schema_set}{serving_path.suffix}")


def snapshot_files(serving_path: Path) -> list[Path]:
    """The published set files of the snapshot named by `serving_path` (the main one first; none: [])."""
    companions = sorted(serving_path.parent.glob(f"{serving_path.stem}.*{serving_path.suffix}"))
    return [p for p in [serving_path, *companions] if p.is_file()]


def catalog_name(serving_path: Path, path: Path) -> str:
    # The main file keeps its usual catalog name (`analytics`), so qualified names readers wrote still work.
    return re.sub(r"\W", "_", path.stem) if path != serving_path else serving_path.stem


def _published_schemas(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    """Schemas of `catalog` holding a table or a view (the manifest schema left out)."""
    rows = con.execute(
        "select schema_name from duckdb_tables() where database_name = ? "
        "union select schema_name from duckdb_views() where database_name = ? and not internal",
        [catalog, catalog],
    ).fetchall()
    return {r[0] for r in rows if r[0] != MANIFEST_SCHEMA}


def connect_read_only(serving_path: Path) -> duckdb.DuckDBPyConnection:
    """The published snapshot, read-only: every set file attached (read-only) into an in-memory DuckDB.

    Each set file is opened when this connection is made and kept until it closes: the connection sees
    each set whole, as published then. Readers connect per query batch to see newer publishes (an
    attached file never changes; a publish renames a new one onto its name). A reader holds only read
    locks on the set files, which no publish ever opens for writing. A missing snapshot gets a message
    saying how to build it.
    """
    files = snapshot_files(serving_path)
    if not files:
        raise UserFacingError(
            f"no published warehouse at {serving_path}: run `make demo` (or the olist_batch DAG) first"
        )
    con = duckdb.connect()
    try:
        search_path = []
        for path in files:
            catalog = catalog_name(serving_path, path)
            con.execute(f"attach '{path}' as \"{catalog}\" (read_only)")
            search_path += [f"{catalog}.{schema}" for schema in sorted(_published_schemas(con, catalog))]
        con.execute("set search_path = ?", [",".join(search_path)])
    except BaseException:
        con.close()
        raise
    return con


def snapshot_signature(serving_path: Path) -> tuple[tuple[str, int, int], ...] | None:
    """Identity of the published snapshot (name, inode, mtime of each set file): changes at every publish."""
    signature = []
    for path in snapshot_files(serving_path):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        signature.append((path.name, stat.st_ino, stat.st_mtime_ns))
    return tuple(signature) or None


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


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
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


def _parts_folder(target: Path, table: str) -> Path:
    return target.with_name(f"{target.stem}.parts") / table


def _sql_list(paths: Iterable[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


class _AppendedTable:
    """Publishes one append-only table of the build as Parquet parts plus a view (see the module doc)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, target: Path, name: str, watermark: str, has_current: bool):
        self.con, self.name, self.watermark = con, name, watermark
        self.schema, self.table = name.split(".")
        self.folder = _parts_folder(target, name)
        self.columns = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = 'build' and schema_name = ? and table_name = ? order by column_index",
            [self.schema, self.table],
        ).fetchall()
        if not self.columns:
            raise UserFacingError(f"cannot publish: no table {name} in the build warehouse")
        self.watermark_type = dict(self.columns).get(watermark)
        if self.watermark_type is None:
            raise UserFacingError(f"cannot publish {name}: it has no column {watermark} (its watermark)")
        # (path, rows, max watermark as text, retired at) from the current set file's manifest
        self.parts: list[list] = []
        if has_current:
            self.parts = [
                list(r)
                for r in con.execute(
                    f"select path, row_count, max_watermark, retired_at from current.{MANIFEST_SCHEMA}.parts "
                    "where table_name = ? order by path",
                    [name],
                ).fetchall()
            ]

    @property
    def live(self) -> list[list]:
        return [p for p in self.parts if p[3] is None]

    def _write_part(self, select_sql: str, params: list) -> list:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"part-{os.getpid()}-{uuid.uuid4().hex}.parquet"
        self.con.execute(f"copy ({select_sql}) to '{path}' (format parquet)", params)
        rows, newest = fetch_row(
            self.con, f'select count(*), max("{self.watermark}")::varchar from read_parquet(?)', [str(path)]
        )
        _fsync_path(path)
        return [str(path), rows, newest, None]

    def _retire(self, parts: list[list], now: dt.datetime) -> None:
        for part in parts:
            part[3] = now

    def _parts_cover_the_build(self) -> bool:
        """Do the live parts hold exactly the build's rows up to their watermark, with all its columns?"""
        live = self.live
        if not live or not all(Path(p[0]).exists() for p in live):
            return False
        newest = max((p[2] for p in live if p[2] is not None), default=None)
        published_rows = sum(p[1] for p in live)
        where = f'where "{self.watermark}" <= cast(? as {self.watermark_type})' if newest else "where false"
        build_rows = fetch_row(
            self.con,
            f'select count(*) from build."{self.schema}"."{self.table}" {where}',
            [newest] if newest else [],
        )[0]
        if build_rows != published_rows:
            return False  # the build table was rebuilt (full refresh) or rows were deleted: publish it anew
        part_columns = {
            r[0]
            for r in self.con.execute(
                f"describe select * from read_parquet({_sql_list(p[0] for p in live)}, union_by_name = true)"
            ).fetchall()
        }
        return {c for c, _ in self.columns} <= part_columns

    def publish(self, now: dt.datetime) -> int:
        """Write the new rows (or everything, when the parts do not match the build) and the view."""
        source = f'build."{self.schema}"."{self.table}"'
        if self._parts_cover_the_build():
            newest = max((p[2] for p in self.live if p[2] is not None), default=None)
            new_rows = f'select * from {source} where "{self.watermark}" > cast(? as {self.watermark_type})'
            count = fetch_row(self.con, f"select count(*) from ({new_rows})", [newest])[0] if newest else 0
            if count:
                self.parts.append(self._write_part(new_rows, [newest]))
        else:
            self._retire(self.live, now)
            self.parts.append(self._write_part(f"select * from {source}", []))
        self._merge_small_parts(now)
        live_paths = [p[0] for p in self.live]
        casts = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in self.columns)
        self.con.execute(f'create schema if not exists "{self.schema}"')
        self.con.execute(
            f'create view "{self.schema}"."{self.table}" as select {casts} '
            f"from read_parquet({_sql_list(live_paths)}, union_by_name = true)"
        )
        return sum(p[1] for p in self.live)

    def _merge_small_parts(self, now: dt.datetime) -> None:
        small = [p for p in self.live if p[1] < SMALL_PART_ROWS]
        if len(small) <= MAX_SMALL_PARTS:
            return
        merged = self._write_part(
            f"select * from read_parquet({_sql_list(p[0] for p in small)}, union_by_name = true)", []
        )
        self._retire(small, now)
        self.parts.append(merged)

    def drop_expired(self, now: dt.datetime) -> None:
        """Forget (and delete) parts retired longer than the grace period, and parts no list knows whose
        publish was killed (its pid is in the name)."""
        expired = [p for p in self.parts if p[3] is not None and (now - p[3]).total_seconds() > RETIRED_PART_GRACE_S]
        for part in expired:
            Path(part[0]).unlink(missing_ok=True)
        self.parts = [p for p in self.parts if p not in expired]
        known = {p[0] for p in self.parts}
        pattern = re.compile(r"^part-(\d+)-[0-9a-f]+\.parquet$")
        for path in self.folder.glob("part-*.parquet"):
            found = pattern.match(path.name)
            if str(path) not in known and found and not _pid_alive(int(found.group(1))):
                path.unlink(missing_ok=True)

    def manifest_rows(self) -> list[tuple]:
        return [(self.name, *p) for p in self.parts]


def publish(
    build_path: Path,
    serving_path: Path,
    schemas: Iterable[str],
    schema_set: str | None = None,
    appended: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Publish `schemas` of the build warehouse as one set: readers see all of them at once, or none.

    The set's file (`set_file(serving_path, schema_set)`) is written anew and renamed onto its name; the
    other sets' files are not read or touched, so publishing one set never copies another, nor exposes
    another set's unvalidated tables. `appended` maps append-only tables ("schema.table") to the column
    that orders their loads (e.g. `_loaded_at`): those are published as Parquet parts, new rows only.
    Returns the row count of each published table.
    """
    schemas = sorted(set(schemas))
    appended = dict(appended or {})
    target = set_file(serving_path, schema_set)
    release_in_process_dbt_duckdb()  # dbt may have built the file in this very process
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftover_snapshots(target)
    # The writer's pid in the name: a later publish removes what a killed one left, and only that.
    tmp_path = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        con = duckdb.connect(str(tmp_path))
        try:
            con.execute(f"attach '{build_path}' as build (read_only)")
            tables = _tables(con, "build", schemas)
            missing = set(schemas) - {s for s, _ in tables}
            if missing:
                raise UserFacingError(f"cannot publish: schema(s) {sorted(missing)} have no table in {build_path}")
            _refuse_schemas_of_another_set(con, serving_path, target, schemas)
            has_current = target.exists()
            if has_current:
                con.execute(f"attach '{target}' as current (read_only)")
            appended_tables = [
                _AppendedTable(con, target, name, watermark, has_current) for name, watermark in appended.items()
            ]
            for schema, table in tables:
                if f"{schema}.{table}" in appended:
                    continue
                con.execute(f'create schema if not exists "{schema}"')
                con.execute(f'create table "{schema}"."{table}" as select * from build."{schema}"."{table}"')
                counts[f"{schema}.{table}"] = fetch_row(con, f'select count(*) from "{schema}"."{table}"')[0]
            manifest = []
            for appended_table in appended_tables:
                counts[appended_table.name] = appended_table.publish(now)
                appended_table.drop_expired(now)
                manifest += appended_table.manifest_rows()
                _fsync_path(appended_table.folder)
            if appended_tables:
                con.execute(f"create schema {MANIFEST_SCHEMA}")
                con.execute(
                    f"create table {MANIFEST_SCHEMA}.parts(table_name varchar, path varchar, row_count bigint, "
                    "max_watermark varchar, retired_at timestamp)"
                )
                con.executemany(f"insert into {MANIFEST_SCHEMA}.parts values (?, ?, ?, ?, ?)", manifest)
            con.execute("detach build")
            if has_current:
                con.execute("detach current")
            con.execute("checkpoint")
        finally:
            con.close()
        _fsync_path(tmp_path)
        os.replace(tmp_path, target)  # atomic: readers see the old or the new set, never a mix
        _fsync_path(target.parent)  # the rename itself survives a power cut
    finally:
        for leftover in (tmp_path, tmp_path.with_name(tmp_path.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return counts


def _refuse_schemas_of_another_set(
    con: duckdb.DuckDBPyConnection, serving_path: Path, target: Path, schemas: list[str]
) -> None:
    """A schema lives in one set file only: readers could not tell two published copies apart."""
    for other in snapshot_files(serving_path):
        if other == target:
            continue
        con.execute(f"attach '{other}' as other_set (read_only)")
        try:
            shared = _published_schemas(con, "other_set") & set(schemas)
        finally:
            con.execute("detach other_set")
        if shared:
            raise UserFacingError(
                f"cannot publish {sorted(shared)} into {target}: already published in {other} "
                "(each schema belongs to one published set)"
            )
