"""A broken-keys dataset built from real bytes, as a user meets it when cutting a download to a subset.

The four real files of ../shared/data/olist-real (payments, products, sellers, translation) are cut to their
first lines, the generator (mixed mode) writes the five others around them, so every key holds; then the
parent files are cut to their first rows (every file's "first few thousand lines"), so items, payments,
reviews and orders reference rows that are gone. `BrokenKeys.removed` says which keys went, by table: the
ground truth the tests compare the quarantine with. `read_records` reads a CSV with each record's first
physical line (plain `csv`, independent of the validator).
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from pathlib import Path

from olist_dw.contract import SOURCES_BY_TABLE

REAL_ROWS = {  # rows kept of each real file before generating around them (None: the whole file)
    "order_payments": 3000,
    "products": 3000,
    "sellers": 600,
    "product_category_name_translation": None,
}
CUT_ROWS = {"customers": 2800, "orders": 2850, "products": 2950, "sellers": 590}  # the user's subset
KEY_COLUMN = {"customers": "customer_id", "orders": "order_id", "products": "product_id", "sellers": "seller_id"}


@dataclass
class BrokenKeys:
    source_dir: Path
    removed: dict[str, set[str]]  # table -> key values of the rows cut away


def read_records(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(first physical line, record as a dict) of every record after the header."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        records, start = [], reader.line_num + 1
        for row in reader:
            records.append((start, dict(zip(header, row, strict=True))))
            start = reader.line_num + 1
    return records


def _first_records(data: bytes, rows: int) -> bytes:
    """The header and the first `rows` records (byte-exact; a record may span lines)."""
    text = data.decode("utf-8")
    reader = csv.reader(text.splitlines(keepends=True))
    lines = text.splitlines(keepends=True)
    for _ in range(rows + 1):
        next(reader)
    return "".join(lines[: reader.line_num]).encode("utf-8")


def build_broken_keys(real_data_dir: Path, out: Path, seed: int = 3) -> BrokenKeys:
    from olist_dw.generator import generate

    real = out / "real-subset"
    real.mkdir(parents=True)
    for table, rows in REAL_ROWS.items():
        name = SOURCES_BY_TABLE[table].file_name
        data = gzip.decompress((real_data_dir / f"{name}.gz").read_bytes())
        (real / name).write_bytes(data if rows is None else _first_records(data, rows))
    source = out / "source"
    generate(source, scale=0.01, seed=seed, real_dir=real, quiet=True)
    removed = {}
    for table, rows in CUT_ROWS.items():
        path = source / SOURCES_BY_TABLE[table].file_name
        records = read_records(path)
        assert len(records) > rows, (table, len(records))
        removed[table] = {r[KEY_COLUMN[table]] for _, r in records[rows:]}
        path.write_bytes(_first_records(path.read_bytes(), rows))
    return BrokenKeys(source, removed)
