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
held between files, never their rows. report.json counts reasons by rule (the key itself left out).

Fast path: pyarrow's multi-threaded CSV reader with every column as a string, then vectorised checks
(pyarrow.compute regular expressions). Only a file with structural damage (wrong field counts, a quote
left open, blank lines) falls back to Python's csv module to locate lines exactly.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from olist_dw.batch.convert import parquet_bytes, replace_parquet, typed_table
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
from olist_dw.lake import BRONZE, QUARANTINE, Lake

BOM = b"\xef\xbb\xbf"
LINE_COLUMN = "_line"
REASON_COLUMN = "_reason"


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
    """A parsed file: every record as strings, its line number and its reason (null when the row is good)."""

    source: SourceFile
    name: str
    rows: pa.Table
    lines: pa.Array
    reasons: pa.Array
    structural_rejects: list[dict] = field(default_factory=list)  # rows that could not even be split
    # What report.json counts per row: the reason, or for a broken key its rule without the key value.
    rules: pa.Array = field(init=False)

    def __post_init__(self) -> None:
        if isinstance(self.reasons, pa.ChunkedArray):
            self.reasons = self.reasons.combine_chunks()
        self.rules = self.reasons

    @property
    def good_rows(self) -> pa.Table:
        return self.rows.filter(pc.is_null(self.reasons))

    @property
    def rejected_count(self) -> int:
        return len(self.reasons) - self.reasons.null_count + len(self.structural_rejects)

    @property
    def total_count(self) -> int:
        return self.rows.num_rows + len(self.structural_rejects)


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


# --- reading and checking ---------------------------------------------------------------------


def decode_bytes(name: str, data: bytes) -> bytes:
    """Gunzip `.gz` files, check UTF-8 and drop a byte-order mark: returns the CSV bytes."""
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise FileRejectedError(name, None, "not a valid gzip file", str(err)) from err
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise FileRejectedError(
            name, line, "encoding is not UTF-8", f"byte {data[err.start : err.start + 1]!r}; re-save the file as UTF-8"
        ) from err
    return data[len(BOM) :] if data.startswith(BOM) else data


def check_header(source: SourceFile, name: str, data: bytes) -> None:
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    if not first.strip():
        raise FileRejectedError(name, 1, "header missing", "the file is empty")
    found = next(csv.reader([first]))
    if found != source.header:
        raise FileRejectedError(name, 1, "wrong header", f"expected {','.join(source.header)}; found {first[:300]}")


def check_file(source: SourceFile, name: str, raw: bytes) -> CheckedFile:
    """Read one file (bytes as landed) and apply every rule; raise FileRejectedError when unusable."""
    data = decode_bytes(name, raw)
    check_header(source, name, data)
    ends_with_newline = data.endswith(b"\n")
    parsed = _read_fast(source, data)
    if parsed is None:
        rows, lines, structural = _read_exact(source, name, data)
    else:
        rows, lines = parsed
        structural = []
    reasons = row_reasons(source, rows)
    checked = CheckedFile(source, name, rows, lines, reasons, structural)
    last_is_row = rows.num_rows and (not structural or structural[-1][LINE_COLUMN] < lines[-1].as_py())
    if not ends_with_newline and last_is_row and reasons[-1].is_valid:
        # The last record has no line break after it and breaks a rule: the file was cut short.
        raise FileRejectedError(name, lines[-1].as_py(), "truncated last line", reasons[-1].as_py())
    return checked


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


def row_reasons(source: SourceFile, rows: pa.Table) -> pa.Array:
    """First broken rule of each row as text ('column: rule'), null for a good row."""
    reasons = pa.nulls(rows.num_rows, pa.string())
    for column in source.columns:
        values = rows.column(column.name)
        empty = pc.equal(values, "")
        checks: list[tuple[pa.Array, str]] = []
        if not column.nullable:
            checks.append((empty, REQUIRED_RULE))
        filled = pc.invert(empty)
        pattern = PATTERNS.get(column.kind)
        if pattern:
            matches = pc.match_substring_regex(values, pattern)
            if column.kind is Kind.TIMESTAMP:
                matches = pc.and_(matches, _real_timestamp(values))
            checks.append((pc.and_(filled, pc.invert(matches)), RULE_NAMES[column.kind]))
        allowed = ALLOWED_VALUES.get((source.table, column.name))
        if allowed:
            checks.append((pc.and_(filled, pc.invert(pc.is_in(values, pa.array(allowed)))), NOT_ALLOWED_RULE))
        for broken, rule in checks:
            broken = pc.fill_null(broken, False)
            if pc.any(broken).as_py():
                reasons = pc.if_else(pc.and_(broken, pc.is_null(reasons)), f"{column.name}: {rule}", reasons)
    return reasons


def _real_timestamp(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """True where the text is a real calendar time (strptime alone accepts 2017-02-30)."""
    parsed = pc.strptime(values, format=TIMESTAMP_FORMAT, unit="s", error_is_null=True)
    again = pc.strftime(parsed, format=TIMESTAMP_FORMAT)
    return pc.fill_null(pc.equal(again, values), False)


# --- keys between files -----------------------------------------------------------------------

KEY_EXAMPLES = 5  # distinct keys an error message shows per broken reference
# Every key value validate found broken, per file and column: the Glue job drops the rows holding them.
BROKEN_KEYS_KEY = f"{QUARANTINE}/broken_keys.json"


@dataclass
class ParentKeys:
    """What the files referencing a parent column need of it: the values its kept rows hold, and the line
    of the first quarantined row of each value only quarantined rows hold (to say why a child goes too)."""

    file: str
    kept: pa.Array
    quarantined: dict[str, int]


def parent_keys(checked: CheckedFile, column: str) -> ParentKeys:
    values = checked.rows.column(column)
    good = pc.is_null(checked.reasons)
    kept = pc.unique(values.filter(good))
    if isinstance(kept, pa.ChunkedArray):
        kept = kept.combine_chunks()
    bad = pc.invert(good)
    quarantined: dict[str, int] = {}
    for key, line in zip(values.filter(bad).to_pylist(), checked.lines.filter(bad).to_pylist(), strict=True):
        quarantined.setdefault(key, line)
    position = checked.source.header.index(column)
    for reject in checked.structural_rejects:
        if position < len(reject["fields"]):
            quarantined.setdefault(reject["fields"][position], reject[LINE_COLUMN])
    kept_set = set(kept.to_pylist()) if quarantined else set()
    return ParentKeys(checked.name, kept, {k: v for k, v in quarantined.items() if k not in kept_set})


def check_keys(checked: CheckedFile, parents: dict[tuple[str, str], ParentKeys]) -> list[KeyBreak]:
    """Quarantine the rows (not already rejected) whose references have no kept parent row; their reason
    names the key and the parent file. Returns what broke, per reference (empty when every key holds)."""
    breaks: list[KeyBreak] = []
    for ref in checked.source.references:
        parent = parents.get((ref.parent, ref.parent_column))
        if parent is not None:
            breaks.extend(_check_reference(checked, ref, parent))
    return breaks


def _check_reference(checked: CheckedFile, ref: Reference, parent: ParentKeys) -> list[KeyBreak]:
    values = checked.rows.column(ref.column)
    orphan = pc.and_(pc.is_null(checked.reasons), pc.invert(pc.is_in(values, value_set=parent.kept)))
    orphan = pc.fill_null(pc.and_(orphan, pc.not_equal(values, "")), False)  # empty: the row rules decide
    if isinstance(orphan, pa.ChunkedArray):
        orphan = orphan.combine_chunks()
    if not pc.any(orphan).as_py():
        return []
    missing = KeyBreak(ref.column, parent.file, quarantined_in_parent=False)
    cascaded = KeyBreak(ref.column, parent.file, quarantined_in_parent=True)
    reasons, rules = [], []
    for key in values.filter(orphan).to_pylist():
        line = parent.quarantined.get(key)
        found = cascaded if line is not None else missing
        found.count += 1
        found.keys[key] = None
        where = f"quarantined in {parent.file} (line {line})" if line is not None else f"not in {parent.file}"
        reasons.append(f"{ref.column} {key} {where}")
        rules.append(found.rule)
    checked.reasons = pc.replace_with_mask(checked.reasons, orphan, pa.array(reasons, pa.string()))
    checked.rules = pc.replace_with_mask(checked.rules, orphan, pa.array(rules, pa.string()))
    return [b for b in (cascaded, missing) if b.count]


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


def quarantine_table(checked: CheckedFile) -> pa.Table:
    """The rejected rows with their line and reason, as they were in the file (strings)."""
    bad = pc.is_valid(checked.reasons)
    table = checked.rows.filter(bad)
    table = table.append_column(LINE_COLUMN, checked.lines.filter(bad)).append_column(
        REASON_COLUMN, checked.reasons.filter(bad)
    )
    table = table.select([LINE_COLUMN, REASON_COLUMN, *checked.source.header])
    if checked.structural_rejects:
        extra = pa.table(
            {
                LINE_COLUMN: [r[LINE_COLUMN] for r in checked.structural_rejects],
                REASON_COLUMN: [r[REASON_COLUMN] for r in checked.structural_rejects],
                checked.source.header[0]: [r["record"] for r in checked.structural_rejects],
            }
        )
        for name in checked.source.header[1:]:
            extra = extra.append_column(name, pa.nulls(extra.num_rows, pa.string()))
        table = pa.concat_tables([table, extra.cast(table.schema)]).sort_by(LINE_COLUMN)
    return table


def write_quarantine(lake: Lake, checked: CheckedFile) -> FileReport:
    """Replace quarantine/<table>/ with this run's rejected rows and report (idempotent)."""
    prefix = f"{QUARANTINE}/{checked.source.table}/"
    lake.delete_prefix(prefix)
    rejected = quarantine_table(checked)
    counts: dict[str, int] = {}
    if rejected.num_rows:
        rules = [checked.rules.filter(pc.is_valid(checked.rules))]
        rules.append(pa.array([r[REASON_COLUMN] for r in checked.structural_rejects], pa.string()))
        for value in pc.value_counts(pa.concat_arrays(rules)).to_pylist():
            counts[value["values"]] = value["counts"]
    location = None
    if rejected.num_rows:
        sink = io.BytesIO()
        pa_csv.write_csv(rejected, sink)
        key = f"{prefix}{checked.source.stem}.rejected.csv"
        lake.write_bytes(key, sink.getvalue())
        location = lake.uri(key)
    report = FileReport(checked.name, checked.source.table, checked.total_count, rejected.num_rows, counts, location)
    lake.write_bytes(f"{prefix}report.json", json.dumps(report.__dict__, indent=2).encode())
    return report


def enforce_threshold(
    report: FileReport, checked: CheckedFile, max_fraction: float, breaks: list[KeyBreak] | None = None
) -> None:
    """Fail the file when its quarantined share is over the threshold; when broken keys are part of it,
    the error names the files referenced, the counts and the first keys."""
    if report.rejected_fraction <= max_fraction:
        return
    quarantine = quarantine_table(checked)
    first = quarantine.slice(0, 1).to_pylist()[0]
    rule = (
        f"too many bad rows: {report.rejected} of {report.rows} "
        f"({report.rejected_fraction:.2%} > OLIST_MAX_BAD_ROW_FRACTION {max_fraction:.2%})"
    )
    if not breaks:
        raise FileRejectedError(
            checked.name, first[LINE_COLUMN], rule, f"first: {first[REASON_COLUMN]}; all in {report.quarantine}"
        )
    broken = sum(b.count for b in breaks)
    detail = "; ".join(b.describe() for b in breaks)
    if report.rejected > broken:
        detail += f"; {report.rejected - broken} rows break row rules"
    raise BrokenKeysError(checked.name, first[LINE_COLUMN], rule, f"{detail}; all in {report.quarantine}", breaks)


def validate_source(
    lake: Lake, source: SourceFile, max_fraction: float, parents: dict[tuple[str, str], ParentKeys] | None = None
) -> tuple[CheckedFile, FileReport, list[KeyBreak]]:
    """Check one file's rows, then its keys against the `parents` already validated; quarantine and enforce."""
    key = landed_key(lake, source)
    checked = check_file(source, key.rsplit("/", 1)[-1], lake.read_bytes(key))
    breaks = check_keys(checked, parents or {})
    report = write_quarantine(lake, checked)
    enforce_threshold(report, checked, max_fraction, breaks)
    return checked, report, breaks


def validate_all(
    lake: Lake, max_fraction: float, sources: tuple[SourceFile, ...] = SOURCES, write_parquet: bool = True
) -> dict:
    """Validate every source file; raise on the first unusable one. Returns the run's report (also saved
    as quarantine/validation_report.json), small enough for an XCom.

    With `write_parquet` (the local path) the same pass also converts: each file's good rows become
    bronze-parquet/<table>/part-0.parquet, so every CSV is parsed once. The Parquet is held in memory until
    every file has passed and only then replaces bronze-parquet/, so a rejected file leaves the previous
    run's Parquet untouched (never a mix). On AWS pass write_parquet=False: the Glue job converts there.

    Files are checked parents first, so each file's keys are checked against what its parents kept (and its
    Parquet holds only rows whose keys hold); of a parent only the referenced key values are kept meanwhile.
    The broken key values go to quarantine/broken_keys.json ({table: {column: [keys]}}): the Glue job, which
    converts on AWS, drops the rows holding them, so it keeps exactly the rows kept here."""
    referenced = {(r.parent, r.parent_column) for s in sources for r in s.references}
    parents: dict[tuple[str, str], ParentKeys] = {}
    reports: dict[str, dict] = {}
    broken_keys: dict[str, dict[str, list[str]]] = {}
    parquet: dict[str, bytes] = {}
    for source in parents_first(sources):
        checked, report, breaks = validate_source(lake, source, max_fraction, parents)
        reports[source.table] = report.__dict__ | {"rejected_fraction": round(report.rejected_fraction, 6)}
        for b in breaks:
            broken_keys.setdefault(source.table, {}).setdefault(b.column, []).extend(b.keys)
        for table, column in referenced:
            if table == source.table:
                parents[(table, column)] = parent_keys(checked, column)
        if write_parquet:  # compressed in memory until every file has passed
            parquet[source.table] = parquet_bytes(typed_table(source, checked.good_rows))
        del checked
    if write_parquet:
        replace_parquet(lake, parquet)
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
