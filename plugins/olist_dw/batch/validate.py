"""validate: check each landed file against the source contract before the warehouse is touched.

Two outcomes per file:
- the file cannot be used (missing, not gzip, not UTF-8, wrong header, truncated last line, or more bad
  rows than OLIST_MAX_BAD_ROW_FRACTION allows): `FileRejectedError` naming the file, the line and the rule
  (`BrokenKeysError` when rows whose keys are not in the other files push it over: it also names the parent
  file, the count and the first keys); the run fails here, before load, so the published warehouse is unchanged;
- some rows cannot be used (bad timestamp, non-numeric price, wrong number of fields, ...): they are written
  to `quarantine/<table>/<file stem>.rejected.csv` with their line and reason, counted in
  `quarantine/<table>/report.json`, and left out of the conversion.

Keys between files (the contract's "references": items -> orders, products, sellers; payments and reviews
-> orders; orders -> customers) are checked too, parents first (`contract.parents_first`): a row whose key
is not among the rows its parent file kept is quarantined with the key and the parent file in its reason,
so a quarantined order takes its items, payments and reviews with it. Only the parents' key values are
held between files (DuckDB tables), never their rows. report.json counts reasons by rule (the key left out).

One pass per file, bounded memory: DuckDB reads each CSV once (every column as text) into a temporary
table, which spills to disk past `DUCKDB_MEMORY_LIMIT`; the row rules are SQL expressions (the contract's
RE2 patterns, `try_strptime` for real calendar times), the key checks joins against the parents' kept keys,
and the good rows are cast and copied to a staged Parquet file from that table. Python only streams the
bytes once for the header, the line breaks and the last byte. Physical line numbers: the record's index
plus the line breaks inside quoted fields before it. A file DuckDB cannot split cleanly (wrong field counts,
an open quote, blank lines, bad UTF-8) falls back to pyarrow / Python's csv module, which locate lines
exactly, and then goes through the same SQL rules.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from olist_dw.batch.convert import publish_parquet, quote, sql_literal, typed_select
from olist_dw.batch.rules import (
    ALLOWED_VALUES,
    FIELD_COUNT_RULE,
    NOT_ALLOWED_RULE,
    PATTERNS,
    REQUIRED_RULE,
    RULE_NAMES,
)
from olist_dw.contract import SOURCES, TIMESTAMP_FORMAT, Kind, Reference, SourceFile, parents_first
from olist_dw.errors import UserFacingError
from olist_dw.lake import BRONZE, QUARANTINE, Lake, LocalLake

BOM = b"\xef\xbb\xbf"
LINE_COLUMN = "_line"
REASON_COLUMN = "_reason"
# DuckDB's memory for the temporary tables of one file; past it they spill to the staging folder, so the
# largest file (geolocation, 600 MB at scale 10) is checked in bounded memory.
DUCKDB_MEMORY_LIMIT = "1GB"
PARQUET_ROW_GROUP_ROWS = 1 << 17  # rows per Parquet row group
# The line of a row of a file with line breaks inside quoted fields: computed after the rejected rows are known.
LINES_FROM_BREAKS = "null::bigint"
CHUNK = 8 << 20  # bytes per read when streaming a file for its header and line breaks


class FileRejectedError(UserFacingError):
    """A source file the pipeline cannot use; the message names the file, the line and the rule."""

    def __init__(self, file: str, line: int | None, rule: str, detail: str = ""):
        self.file, self.line, self.rule = file, line, rule
        where = f"{file}, line {line}" if line else file
        super().__init__(f"{where}: {rule}" + (f" ({detail})" if detail else ""))


@dataclass
class KeyBreak:
    """The rows of one file whose `column` has no kept row in `parent_file`: missing there, or quarantined."""

    column: str
    parent_file: str
    quarantined_in_parent: bool  # the parent row exists but was quarantined (the cascade)
    count: int = 0
    keys: dict[str, None] = field(default_factory=dict)  # the distinct key values, in file order

    @property
    def examples(self) -> list[str]:
        return list(self.keys)[:KEY_EXAMPLES]

    @property
    def rule(self) -> str:
        """The reason's text without the key: what report.json counts."""
        return f"{self.column}: {'quarantined' if self.quarantined_in_parent else 'not'} in {self.parent_file}"

    def describe(self) -> str:
        what = "was quarantined in" if self.quarantined_in_parent else "is not in"
        return f"{self.count} rows whose {self.column} {what} {self.parent_file} (e.g. {', '.join(self.examples)})"


class BrokenKeysError(FileRejectedError):
    """Too many rows of a file whose keys are not in (or were quarantined from) the files they reference."""

    def __init__(self, file: str, line: int | None, rule: str, detail: str, breaks: list[KeyBreak]):
        self.breaks = breaks
        super().__init__(file, line, rule, detail)


@dataclass
class CheckedFile:
    """What checking one file found: its rows, the rejected ones (counted by rule) and the broken keys.
    The rows themselves stay in DuckDB (`src`, the bad ones also in `bad`) until the file is done."""

    source: SourceFile
    name: str
    total_count: int  # records of the file, those that could not even be split included
    rejected_count: int
    reasons: dict[str, int]  # rule -> rows (a broken key's rule without the key value)
    first_reject: tuple[int, str] | None  # (line, reason) of the first rejected row
    breaks: list[KeyBreak] = field(default_factory=list)
    structural_rejects: list[dict] = field(default_factory=list)  # rows that could not even be split


# --- locating files in the lake ---------------------------------------------------------------


def landed_key(lake: Lake, source: SourceFile) -> str:
    """The one landed object of `source` under bronze/<table>/ (.csv or .csv.gz)."""
    keys = [k for k in lake.list_keys(f"{BRONZE}/{source.table}/") if k.rsplit("/", 1)[-1] in _accepted(source)]
    if not keys:
        raise FileRejectedError(
            source.file_name, None, "missing file", f"expected {source.file_name} or {source.file_name}.gz"
        )
    if len(keys) > 1:
        raise FileRejectedError(source.file_name, None, "ambiguous file", f"found {', '.join(keys)}")
    return keys[0]


def _accepted(source: SourceFile) -> tuple[str, str]:
    return source.file_name, source.file_name + ".gz"


@contextmanager
def local_copy(lake: Lake, key: str, scratch: Path) -> Iterator[Path]:
    """A path DuckDB can read for `key`: the file itself on a local lake, else a download into `scratch`."""
    if isinstance(lake, LocalLake):
        yield lake.path(key)
        return
    path = scratch / key.rsplit("/", 1)[-1]
    path.write_bytes(lake.read_bytes(key))
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


# --- streaming the bytes once: header, line breaks, last byte -----------------------------------


@dataclass
class Scan:
    header: bytes  # the first line, without its line break
    newlines: int  # physical line breaks of the whole (decompressed) file
    ends_with_newline: bool


def scan_file(name: str, path: Path) -> Scan:
    """Read the file once in chunks (gunzipped when .gz) without parsing it."""
    opener = gzip.open if name.endswith(".gz") else open
    header: bytes | None = None
    newlines, last = 0, b""
    first = bytearray()
    try:
        with opener(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                if header is None:
                    end = chunk.find(b"\n")
                    first += chunk if end < 0 else chunk[:end]
                    if end >= 0:
                        header = bytes(first)
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
    except (OSError, EOFError, zlib.error) as err:
        raise FileRejectedError(name, None, "not a valid gzip file", str(err)) from err
    return Scan(bytes(first) if header is None else header, newlines, last == b"\n")


def check_header(source: SourceFile, name: str, first_line: bytes) -> None:
    try:
        first = first_line.decode("utf-8").removeprefix("\ufeff").rstrip("\r")
    except UnicodeDecodeError as err:
        raise FileRejectedError(
            name, 1, "encoding is not UTF-8", f"byte {first_line[err.start : err.start + 1]!r}; re-save as UTF-8"
        ) from err
    if not first.strip():
        raise FileRejectedError(name, 1, "header missing", "the file is empty")
    found = next(csv.reader([first]))
    if found != source.header:
        raise FileRejectedError(name, 1, "wrong header", f"expected {','.join(source.header)}; found {first[:300]}")


# --- the exact readers, for files DuckDB cannot split cleanly -------------------------------------


def decode_bytes(name: str, data: bytes) -> bytes:
    """Gunzip `.gz` files, check UTF-8 and drop a byte-order mark: returns the CSV bytes."""
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise FileRejectedError(name, None, "not a valid gzip file", str(err)) from err
    try:
        codecs.decode(data, "utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise FileRejectedError(
            name, line, "encoding is not UTF-8", f"byte {data[err.start : err.start + 1]!r}; re-save the file as UTF-8"
        ) from err
    return data[len(BOM) :] if data.startswith(BOM) else data


def read_exactly(source: SourceFile, name: str, path: Path) -> tuple[pa.Table, list[dict]]:
    """The whole file in memory, every record as strings with its physical line (`_line`), and the records
    with the wrong field count apart: pyarrow when it can, else Python's csv module."""
    data = decode_bytes(name, path.read_bytes())
    parsed = _read_fast(source, data)
    if parsed is None:
        rows, lines, structural = _read_exact(source, name, data)
    else:
        (rows, lines), structural = parsed, []
    return rows.append_column(LINE_COLUMN, lines), structural


def _read_fast(source: SourceFile, data: bytes) -> tuple[pa.Table, pa.Array] | None:
    """pyarrow multi-threaded parse; None when the file needs the exact (slow) reader."""
    if b"\n\n" in data or b"\n\r\n" in data:
        return None  # blank lines: pyarrow skips them and line numbers would drift
    damaged = []

    def on_invalid_row(row) -> str:
        damaged.append(row)
        return "skip"

    names = source.header
    try:
        rows = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=any(c.kind is Kind.TEXT for c in source.columns),
                invalid_row_handler=on_invalid_row,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if damaged:
        return None
    # Physical line of each record: header is line 1; quoted line breaks push later records down.
    breaks = np.zeros(rows.num_rows, dtype=np.int64)
    for column in rows.columns:
        breaks += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False)
    before = np.concatenate(([0], np.cumsum(breaks)[:-1])) if rows.num_rows else breaks
    lines = pa.array(2 + np.arange(rows.num_rows, dtype=np.int64) + before)
    return rows.combine_chunks(), lines


def _read_exact(source: SourceFile, name: str, data: bytes) -> tuple[pa.Table, pa.Array, list[dict]]:
    """Python csv reader with exact line numbers; rows with the wrong field count become rejects."""
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    width = len(source.header)
    columns: list[list[str]] = [[] for _ in range(width)]
    lines: list[int] = []
    structural: list[dict] = []
    next(reader)  # header, already checked
    start = reader.line_num + 1
    try:
        for record in reader:
            if record:  # a blank line is skipped, as pyarrow does
                if len(record) == width:
                    for values, value in zip(columns, record, strict=True):
                        values.append(value)
                    lines.append(start)
                else:
                    structural.append(
                        {
                            LINE_COLUMN: start,
                            REASON_COLUMN: f"{FIELD_COUNT_RULE}: expected {width}, found {len(record)}",
                            "record": ",".join(record)[:1000],
                            "fields": record,  # a parent's key may still be read off them (the cascade)
                        }
                    )
            start = reader.line_num + 1
    except csv.Error as err:
        if "end of data" in str(err):
            raise FileRejectedError(name, start, "truncated last line", "a quoted field is never closed") from err
        raise FileRejectedError(name, start, "malformed CSV quoting", str(err)) from err
    if structural and structural[-1][LINE_COLUMN] == lines_end(lines, structural):
        last = structural[-1]
        raise FileRejectedError(name, last[LINE_COLUMN], "truncated last line", last[REASON_COLUMN])
    table = pa.table({n: pa.array(v, pa.string()) for n, v in zip(source.header, columns, strict=True)})
    return table, pa.array(lines, pa.int64()), structural


def lines_end(lines: list[int], structural: list[dict]) -> int:
    """Line of the last record of the file."""
    return max(lines[-1] if lines else 0, structural[-1][LINE_COLUMN] if structural else 0)


# --- the row rules as SQL -------------------------------------------------------------------------

KEY_EXAMPLES = 5  # distinct keys an error message shows per broken reference
# Every key value validate found broken, per file and column: the Glue job drops the rows holding them.
BROKEN_KEYS_KEY = f"{QUARANTINE}/broken_keys.json"


def row_reason_sql(source: SourceFile, alias: str = "s") -> str:
    """First broken rule of a row as text ('column: rule'), NULL for a good row: the columns in contract
    order, per column required, then its kind's pattern (RE2, as pyarrow and the Glue job), then its list.
    Where every listed value matches the pattern (the states), the list is tested first and the pattern
    only on the values it rejects: the same first rule, one regular expression less per row."""
    whens = []
    for column in source.columns:
        value = f"{alias}.{quote(column.name)}"
        filled = f"coalesce({value}, '') <> ''"

        def reason(rule: str, name: str = column.name) -> str:
            return sql_literal(f"{name}: {rule}")

        if not column.nullable:
            whens.append(f"when not ({filled}) then {reason(REQUIRED_RULE)}")
        pattern = PATTERNS.get(column.kind)
        matches = f"regexp_matches({value}, {sql_literal(pattern)})" if pattern else ""
        if column.kind is Kind.TIMESTAMP:  # a real calendar time (the pattern accepts 2017-02-30)
            matches += f" and try_strptime({value}, {sql_literal(TIMESTAMP_FORMAT)}) is not null"
        allowed = ALLOWED_VALUES.get((source.table, column.name))
        listed = f"{value} in ({', '.join(sql_literal(v) for v in allowed)})" if allowed else ""
        if pattern and allowed and all(re.fullmatch(pattern, v) for v in allowed):
            which = (
                f"case when not ({matches}) then {reason(RULE_NAMES[column.kind])} else {reason(NOT_ALLOWED_RULE)} end"
            )
            whens.append(f"when {filled} and not ({listed}) then {which}")
            continue
        if pattern:
            whens.append(f"when {filled} and not ({matches}) then {reason(RULE_NAMES[column.kind])}")
        if allowed:
            whens.append(f"when {filled} and not ({listed}) then {reason(NOT_ALLOWED_RULE)}")
    return f"(case {' '.join(whens)} end)" if whens else "null::varchar"


def _key_table(kind: str, table: str, column: str) -> str:
    return quote(f"{kind}__{table}__{column}")


def _parent_file(ref: Reference) -> str:
    from olist_dw.contract import SOURCES_BY_TABLE

    return SOURCES_BY_TABLE[ref.parent].file_name


# --- one file, one read --------------------------------------------------------------------------


def _lines_to_newlines(lines: int, scan: Scan) -> int:
    """Line breaks of a file of `lines` lines: one per line, but the last when the file does not end with one."""
    return lines if scan.ends_with_newline else lines - 1


def _line_breaks_sql(source: SourceFile) -> str:
    """A record's line breaks inside its fields (counted only where there is one: contains is cheap)."""
    found = "case when " + " or ".join(f"contains({quote(c)}, chr(10))" for c in source.header) + " then "
    found += " + ".join(
        f"coalesce(strlen({quote(c)}) - strlen(replace({quote(c)}, chr(10), '')), 0)" for c in source.header
    )
    return found + " else 0 end"


class Checker:
    """One DuckDB connection for a validate run. Each file's rows pass through the temporary tables `src`
    (every record as text) and `bad` (the rejected ones with line, reason and rule). What the files that
    reference a parent need of it stays as two small tables per parent column: `kept__<table>__<column>`
    (the values its kept rows hold) and `quarantined__<table>__<column>` (each value only rejected rows
    hold, with the first such row's line: why a child goes too)."""

    def __init__(self, scratch: Path):
        spill = scratch / "spill"
        spill.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": str(spill)})
        self.parents: set[tuple[str, str]] = set()  # (table, column) whose key tables exist

    def close(self) -> None:
        self.con.close()

    def _read(self, source: SourceFile, name: str, path: Path) -> tuple[str, list[dict], bool]:
        """Load the file into `src`; returns the SQL of a row's line, the structural rejects and whether
        the file ends with a line break."""
        columns = "{" + ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in source.header) + "}"
        scan = scan_file(name, path)
        check_header(source, name, scan.header)
        try:
            self.con.execute(
                f"create or replace temp table src as select * from read_csv({sql_literal(str(path))}, "
                f"columns = {columns}, header = false, skip = 1, auto_detect = false, delim = ',', "
                "quote = '\"', escape = '\"', strict_mode = true, null_padding = false)"
            )
            rows = self.con.execute("select count(*) from src").fetchall()[0][0]
        except duckdb.Error:
            rows = None  # a wrong field count, an open quote, bad UTF-8: the exact readers say where
        clean, inside = False, 0
        if rows is not None:
            # The header and each record take a line; line breaks inside quoted fields and blank lines only
            # add to the file's count: when it matches, there are none (the fields are not searched).
            if scan.newlines != _lines_to_newlines(1 + rows, scan):
                found = f"select coalesce(sum({_line_breaks_sql(source)}), 0) from src"
                inside = self.con.execute(found).fetchall()[0][0]
            clean = scan.newlines == _lines_to_newlines(1 + rows + inside, scan)
        if clean and not inside:
            return "(s.rowid + 2)::bigint", [], scan.ends_with_newline
        if clean:  # quoted line breaks push later records down: `check` sets the lines of the rejected rows
            return LINES_FROM_BREAKS, [], scan.ends_with_newline
        # Damaged, or blank lines (DuckDB skips them, so its count and the file's line breaks disagree).
        table, structural = read_exactly(source, name, path)
        self.con.register("exact_rows", table)
        self.con.execute("create or replace temp table src as select * from exact_rows")
        self.con.unregister("exact_rows")
        return f"s.{LINE_COLUMN}", structural, scan.ends_with_newline

    def check(self, source: SourceFile, name: str, path: Path) -> CheckedFile:
        """Read the file once, apply the row rules and the keys against the parents checked before; leaves
        `src` and `bad` for the quarantine, the Parquet and the key tables."""
        line, structural, ends_with_newline = self._read(source, name, path)
        refs = [(i, ref) for i, ref in enumerate(source.references) if (ref.parent, ref.parent_column) in self.parents]
        joins, inner = [], []
        reason, rule, which, cascaded, key = [], [], [], [], []
        for i, ref in refs:
            value, parent = f"s.{quote(ref.column)}", _parent_file(ref)
            joins.append(
                f"left join {_key_table('kept', ref.parent, ref.parent_column)} k{i} on {value} = k{i}.key "
                f"left join {_key_table('quarantined', ref.parent, ref.parent_column)} q{i} on {value} = q{i}.key"
            )
            inner.append(f"coalesce({value} <> '' and k{i}.key is null, false) as _o{i}, q{i}.line as _q{i}")
            column = quote(ref.column)
            reason.append(
                f"when _o{i} then {sql_literal(ref.column + ' ')} || {column} || case when _q{i} is not null "
                f"then {sql_literal(f' quarantined in {parent} (line ')} || _q{i} || ')' "
                f"else {sql_literal(f' not in {parent}')} end"
            )
            cascade_rule, missing_rule = f"{ref.column}: quarantined in {parent}", f"{ref.column}: not in {parent}"
            rule.append(
                f"when _o{i} then case when _q{i} is not null then {sql_literal(cascade_rule)}"
                f" else {sql_literal(missing_rule)} end"
            )
            which.append(f"when _o{i} then {i}")
            cascaded.append(f"when _o{i} then _q{i} is not null")
            key.append(f"when _o{i} then {column}")

        def first(whens: list[str], row_rule: str = "_row_reason") -> str:
            return f"case when _row_reason is not null then {row_rule} {' '.join(whens)} end"

        header = ", ".join(quote(c) for c in source.header)
        self.con.execute(
            f"""create or replace temp table bad as
            select _row, _line, _row_reason, {first(reason)} as _reason, {first(rule)} as _rule,
                   {first(which, "null::integer")} as _ref, {first(cascaded, "null::boolean")} as _cascaded,
                   {first(key, "null::varchar")} as _key, {header}
            from (
                select s.rowid as _row, {line} as _line, {row_reason_sql(source)} as _row_reason,
                       {"".join(f"{x}, " for x in inner)}{", ".join(f"s.{quote(c)}" for c in source.header)}
                from src s {" ".join(joins)}
            )
            where _row_reason is not null {"".join(f" or _o{i}" for i, _ in refs)}"""
        )
        if line == LINES_FROM_BREAKS and self._has_bad():  # a running sum of the records' line breaks
            self.con.execute(
                f"update bad set _line = l._line from (select rowid as _row, 2 + rowid + coalesce(sum("
                f"{_line_breaks_sql(source)}) over (order by rowid rows between unbounded preceding and 1 preceding), "
                "0) as _line from src) l where l._row = bad._row"
            )
        rows = self.con.execute("select count(*) from src").fetchall()[0][0]
        if not ends_with_newline and rows:
            last = self.con.execute(
                "select _line, _row_reason from bad where _row = (select max(rowid) from src)"
            ).fetchone()
            last_is_row = not structural or structural[-1][LINE_COLUMN] < (last[0] if last else 0)
            if last and last[1] is not None and last_is_row:
                # The last record has no line break after it and breaks a rule: the file was cut short.
                raise FileRejectedError(name, last[0], "truncated last line", last[1])
        counts: dict[str, int] = {}
        for found, count in self.con.execute(
            "select _rule, count(*) from bad group by _rule order by min(_line)"
        ).fetchall():
            counts[found] = count
        for reject in structural:
            counts[reject[REASON_COLUMN]] = counts.get(reject[REASON_COLUMN], 0) + 1
        first_bad = self.con.execute("select _line, _reason from bad order by _line limit 1").fetchone()
        candidates = [tuple(first_bad)] if first_bad else []
        candidates += [(r[LINE_COLUMN], r[REASON_COLUMN]) for r in structural[:1]]
        breaks = self._breaks(source)
        rejected = sum(counts.values())
        return CheckedFile(
            source, name, rows + len(structural), rejected, counts, min(candidates, default=None), breaks, structural
        )

    def _breaks(self, source: SourceFile) -> list[KeyBreak]:
        """What broke per reference (the cascade first), the distinct keys in file order."""
        found: dict[tuple[int, bool], KeyBreak] = {}
        for index, cascaded, key in self.con.execute(
            "select _ref, _cascaded, _key from bad where _ref is not null order by _line"
        ).fetchall():
            ref = source.references[index]
            broken = found.setdefault((index, cascaded), KeyBreak(ref.column, _parent_file(ref), cascaded))
            broken.count += 1
            broken.keys[key] = None
        return [found[k] for k in sorted(found, key=lambda k: (k[0], not k[1]))]

    def quarantine_table(self, checked: CheckedFile) -> pa.Table:
        """The rejected rows with their line and reason, as they were in the file (strings)."""
        header = checked.source.header
        columns = ", ".join(f"coalesce({quote(c)}, '') as {quote(c)}" for c in header)
        table = self.con.sql(
            f"select _line::bigint as {LINE_COLUMN}, _reason as {REASON_COLUMN}, {columns} from bad order by _line"
        ).to_arrow_table()
        if checked.structural_rejects:
            extra = pa.table(
                {
                    LINE_COLUMN: [r[LINE_COLUMN] for r in checked.structural_rejects],
                    REASON_COLUMN: [r[REASON_COLUMN] for r in checked.structural_rejects],
                    header[0]: [r["record"] for r in checked.structural_rejects],
                }
            )
            for name in header[1:]:
                extra = extra.append_column(name, pa.nulls(extra.num_rows, pa.string()))
            table = pa.concat_tables([table, extra.cast(table.schema)]).sort_by(LINE_COLUMN)
        return table

    def _has_bad(self) -> bool:
        return self.con.execute("select exists (select 1 from bad)").fetchall()[0][0]

    def write_parquet(self, source: SourceFile, target: Path) -> None:
        """The good rows of `src`, cast to the contract's types, as one snappy Parquet file written by DuckDB
        (in parallel, in file order). Its types are the Glue job's Spark's: DECIMAL(12,2) as INT64, TIMESTAMP
        without zone in microseconds; DuckDB also marks INT32 columns Int(32, signed), which Spark leaves
        implicit (the same type to every reader)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        good = "src s anti join bad b on s.rowid = b._row" if self._has_bad() else "src s"
        self.con.execute(
            f"copy (select {typed_select(source)} from {good}) to {sql_literal(str(target))} "
            f"(format parquet, compression snappy, row_group_size {PARQUET_ROW_GROUP_ROWS})"
        )

    def keep_parent_keys(self, checked: CheckedFile, column: str) -> None:
        """The key tables of one parent column, for the files that reference it."""
        table, value = checked.source.table, quote(column)
        kept, quarantined = _key_table("kept", table, column), _key_table("quarantined", table, column)
        self.con.execute(
            f"create or replace temp table {kept} as select distinct s.{value} as key from src s "
            f"anti join bad b on s.rowid = b._row where s.{value} is not null"
        )
        position = checked.source.header.index(column)
        cut = [
            (r["fields"][position], r[LINE_COLUMN]) for r in checked.structural_rejects if position < len(r["fields"])
        ]
        # The keys of records cut short (wrong field count) also quarantine their children. They go in by
        # SQL, not as an Arrow table: building one from Python lists imports pandas (1.5 s, once per run).
        self.con.execute("create or replace temp table cut_keys (key varchar, line bigint)")
        if cut:
            self.con.executemany("insert into cut_keys values (?, ?)", cut)
        self.con.execute(
            f"create or replace temp table {quarantined} as select q.key, min(q.line) as line from "
            f"(select {value} as key, _line::bigint as line from bad union all select key, line from cut_keys) q "
            f"anti join {kept} k on q.key = k.key where q.key is not null group by q.key"
        )
        self.con.execute("drop table cut_keys")
        self.parents.add((table, column))

    def done_with_file(self) -> None:
        self.con.execute("drop table if exists src; drop table if exists bad")


# --- the job ----------------------------------------------------------------------------------


@dataclass
class FileReport:
    file: str
    table: str
    rows: int
    rejected: int
    reasons: dict[str, int]
    quarantine: str | None

    @property
    def rejected_fraction(self) -> float:
        return self.rejected / self.rows if self.rows else 0.0


def write_quarantine(lake: Lake, checker: Checker, checked: CheckedFile) -> FileReport:
    """Replace quarantine/<table>/ with this run's rejected rows and report (idempotent)."""
    prefix = f"{QUARANTINE}/{checked.source.table}/"
    lake.delete_prefix(prefix)
    location = None
    if checked.rejected_count:
        sink = io.BytesIO()
        pa_csv.write_csv(checker.quarantine_table(checked), sink)
        key = f"{prefix}{checked.source.stem}.rejected.csv"
        lake.write_bytes(key, sink.getvalue())
        location = lake.uri(key)
    report = FileReport(
        checked.name, checked.source.table, checked.total_count, checked.rejected_count, checked.reasons, location
    )
    lake.write_bytes(f"{prefix}report.json", json.dumps(report.__dict__, indent=2).encode())
    return report


def enforce_threshold(report: FileReport, checked: CheckedFile, max_fraction: float) -> None:
    """Fail the file when its quarantined share is over the threshold; when broken keys are part of it,
    the error names the files referenced, the counts and the first keys."""
    if report.rejected_fraction <= max_fraction or checked.first_reject is None:
        return
    line, reason = checked.first_reject
    rule = (
        f"too many bad rows: {report.rejected} of {report.rows} "
        f"({report.rejected_fraction:.2%} > OLIST_MAX_BAD_ROW_FRACTION {max_fraction:.2%})"
    )
    breaks = checked.breaks
    if not breaks:
        raise FileRejectedError(checked.name, line, rule, f"first: {reason}; all in {report.quarantine}")
    broken = sum(b.count for b in breaks)
    detail = "; ".join(b.describe() for b in breaks)
    if report.rejected > broken:
        detail += f"; {report.rejected - broken} rows break row rules"
    raise BrokenKeysError(checked.name, line, rule, f"{detail}; all in {report.quarantine}", breaks)


@contextmanager
def scratch_folder(lake: Lake) -> Iterator[Path]:
    """Where DuckDB spills and the Parquet is staged: inside a local lake (so staged files are renamed into
    place, same file system), else a temporary folder; removed afterwards, whatever happened."""
    if isinstance(lake, LocalLake):
        lake.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".validate-", dir=lake.root) as folder:
            yield Path(folder)
    else:
        with tempfile.TemporaryDirectory(prefix="olist-validate-") as folder:
            yield Path(folder)


def check_file(source: SourceFile, name: str, raw: bytes) -> CheckedFile:
    """Check one file's bytes on their own (no keys between files): what validate would quarantine."""
    with tempfile.TemporaryDirectory(prefix="olist-check-") as folder:
        path = Path(folder) / name
        path.write_bytes(raw)
        checker = Checker(Path(folder))
        try:
            return checker.check(source, name, path)
        finally:
            checker.close()


def validate_all(
    lake: Lake, max_fraction: float, sources: tuple[SourceFile, ...] = SOURCES, write_parquet: bool = True
) -> dict:
    """Validate every source file; raise on the first unusable one. Returns the run's report (also saved
    as quarantine/validation_report.json), small enough for an XCom.

    With `write_parquet` (the local path) the same pass also converts: each file's good rows become a
    staged Parquet file, and only once every file has passed do they replace bronze-parquet/<table>/, so a
    rejected file leaves the previous run's Parquet untouched (never a mix). On AWS pass
    write_parquet=False: the Glue job converts there.

    Files are checked parents first, so each file's keys are checked against what its parents kept (and its
    Parquet holds only rows whose keys hold); of a parent only the referenced key values are kept meanwhile.
    The broken key values go to quarantine/broken_keys.json ({table: {column: [keys]}}): the Glue job, which
    converts on AWS, drops the rows holding them, so it keeps exactly the rows kept here."""
    referenced = {(r.parent, r.parent_column) for s in sources for r in s.references}
    reports: dict[str, dict] = {}
    broken_keys: dict[str, dict[str, list[str]]] = {}
    with scratch_folder(lake) as scratch:
        checker = Checker(scratch)
        staged: dict[str, Path] = {}
        try:
            for source in parents_first(sources):
                key = landed_key(lake, source)
                with local_copy(lake, key, scratch) as path:
                    checked = checker.check(source, key.rsplit("/", 1)[-1], path)
                report = write_quarantine(lake, checker, checked)
                enforce_threshold(report, checked, max_fraction)
                reports[source.table] = report.__dict__ | {"rejected_fraction": round(report.rejected_fraction, 6)}
                for b in checked.breaks:
                    broken_keys.setdefault(source.table, {}).setdefault(b.column, []).extend(b.keys)
                for table, column in sorted(referenced):
                    if table == source.table:
                        checker.keep_parent_keys(checked, column)
                if write_parquet:
                    staged[source.table] = scratch / "bronze-parquet" / source.table / "part-0.parquet"
                    checker.write_parquet(source, staged[source.table])
                checker.done_with_file()
        finally:
            checker.close()
        if write_parquet:
            publish_parquet(lake, staged)
    lake.write_bytes(BROKEN_KEYS_KEY, json.dumps(broken_keys, indent=1).encode())
    files = [reports[s.table] for s in sources]  # in contract order
    summary = {
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "max_bad_row_fraction": max_fraction,
        "rows": sum(f["rows"] for f in files),
        "rejected": sum(f["rejected"] for f in files),
        "files": files,
    }
    lake.write_bytes(f"{QUARANTINE}/validation_report.json", json.dumps(summary, indent=2).encode())
    return summary
