"""An independent checker of the Olist source contract, for generated and real files alike.

It re-reads the files with the standard `csv` module (values) and a quote-aware tokenizer (raw fields,
to check the quoting and line endings byte by byte). It takes from olist_dw.contract only the declared
names, header order, kinds and nullability; every rule below is written out here, not imported.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from olist_dw.contract import SOURCES, Kind, SourceFile

ID_RE = re.compile(r"[0-9a-f]{32}")
INT_RE = re.compile(r"-?\d+")
MONEY_RE = re.compile(r"\d+(\.\d{1,2})?")
FLOAT_RE = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")
TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
ZIP_RE = re.compile(r"\d{5}")
STATES = set(
    "AC AL AM AP BA CE DF ES GO MA MG MS MT PA PB PE PI PR RJ RN RO RR RS SC SE SP TO".split()  # noqa: SIM905
)
STATUSES = {"delivered", "shipped", "canceled", "unavailable", "invoiced", "processing", "created", "approved"}
PAYMENT_TYPES = {"credit_card", "boleto", "voucher", "debit_card", "not_defined"}
TEXT_KINDS = {Kind.ID, Kind.ZIP, Kind.STATE, Kind.TEXT}
# One field and what ends it: a quoted field ("" doubles a quote) or a bare one, then , or a line ending.
FIELD_RE = re.compile(r'(?:"((?:[^"]|"")*)"|([^,"\r\n]*))(,|\r\n|\n|\Z)')


class ContractError(AssertionError):
    pass


@dataclass
class Table:
    source: SourceFile
    rows: list[dict[str, str]]
    raw_bytes: bytes
    problems: list[str] = field(default_factory=list)

    def column(self, name: str) -> list[str]:
        return [r[name] for r in self.rows]


def locate(folder: Path, source: SourceFile) -> Path | None:
    for candidate in (folder / source.file_name, folder / f"{source.file_name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_bytes(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def _raw_records(text: str) -> tuple[list[list[tuple[str, bool]]], list[str]]:
    """Records as lists of (raw value, was quoted), and each record's terminator."""
    records, terminators, current = [], [], []
    pos = 0
    while pos < len(text):
        m = FIELD_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise ContractError(f"cannot tokenize near byte {pos}: {text[pos : pos + 40]!r}")
        quoted = m.group(1) is not None
        current.append((m.group(1).replace('""', '"') if quoted else m.group(2), quoted))
        if m.group(3) != ",":
            records.append(current)
            terminators.append(m.group(3))
            current = []
        pos = m.end()
    return records, terminators


def needs_quotes(value: str) -> bool:
    return bool(value) and (value[0].isdigit() or any(ch in value for ch in ',"\r\n'))


def check_value(kind: Kind, value: str) -> str | None:
    if kind == Kind.ID and not ID_RE.fullmatch(value):
        return "not 32 lowercase hex"
    if kind == Kind.INT and not INT_RE.fullmatch(value):
        return "not an integer"
    if kind == Kind.MONEY and not MONEY_RE.fullmatch(value):
        return "not money with up to 2 decimals"
    if kind == Kind.FLOAT and not FLOAT_RE.fullmatch(value):
        return "not a decimal number"
    if kind == Kind.ZIP and not ZIP_RE.fullmatch(value):
        return "not a 5-character zip prefix"
    if kind == Kind.STATE and value not in STATES:
        return "not a Brazilian state"
    if kind == Kind.TIMESTAMP:
        if not TIMESTAMP_RE.fullmatch(value):
            return "not YYYY-MM-DD HH:MM:SS"
        datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    return None


def check_file(path: Path, source: SourceFile, max_problems: int = 20) -> Table:
    """Format of one file: encoding, BOM, line endings, header, quoting, types and nulls."""
    data = read_bytes(path)
    problems: list[str] = []
    has_bom = data.startswith(b"\xef\xbb\xbf")
    if has_bom != source.bom:
        problems.append(f"BOM {'present' if has_bom else 'missing'}")
    text = data.decode("utf-8")  # raises on anything that is not UTF-8
    records, terminators = _raw_records(text.removeprefix("\ufeff"))
    expected_eol = "\r\n" if source.crlf else "\n"
    bad_eol = [i for i, t in enumerate(terminators[:-1]) if t != expected_eol]
    if bad_eol:
        problems.append(f"{len(bad_eol)} line endings are not {expected_eol!r} (first at record {bad_eol[0]})")
    header = records[0]
    if [v for v, _ in header] != source.header:
        problems.append(f"header {[v for v, _ in header]} != {source.header}")
    header_quoted = {q for _, q in header}
    want_quoted = source.file_name != "product_category_name_translation.csv"
    if header_quoted != {want_quoted}:
        problems.append(f"header names should {'all' if want_quoted else 'not'} be quoted")
    # Values as the standard csv module reads them must agree with the tokenizer.
    parsed = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    if len(parsed) != len(records):
        problems.append(f"csv module reads {len(parsed)} records, the tokenizer {len(records)}")
    rows: list[dict[str, str]] = []
    for number, (raw, values) in enumerate(zip(records[1:], parsed[1:], strict=False), start=2):
        if len(problems) >= max_problems:
            break
        if len(values) != len(source.columns) or [v for v, _ in raw] != values:
            problems.append(f"record {number}: {len(values)} fields / tokenizer disagrees: {values}")
            continue
        for column, (value, quoted) in zip(source.columns, raw, strict=True):
            if value == "":
                if not column.nullable:
                    problems.append(f"record {number}: {column.name} is empty")
                if quoted:
                    problems.append(f"record {number}: empty {column.name} is quoted")
                continue
            should_quote = column.kind in TEXT_KINDS and needs_quotes(value)
            if quoted != should_quote:
                problems.append(f"record {number}: {column.name}={value!r} quoted={quoted}, expected {should_quote}")
            error = check_value(column.kind, value)
            if error:
                problems.append(f"record {number}: {column.name}={value!r} {error}")
        rows.append(dict(zip(source.header, values, strict=True)))
    return Table(source, rows, data, problems)


@dataclass
class Dataset:
    tables: dict[str, Table]
    problems: list[str]
    stats: dict[str, float | int | dict]


def check_dataset(folder: Path) -> Dataset:
    """Every contract file present in `folder` (plain or .gz), then the rules between files that are present."""
    tables: dict[str, Table] = {}
    problems: list[str] = []
    for source in SOURCES:
        path = locate(folder, source)
        if path is not None:
            table = check_file(path, source)
            tables[source.table] = table
            problems += [f"{source.file_name}: {p}" for p in table.problems]
    stats: dict[str, float | int | dict] = {t: len(tab.rows) for t, tab in tables.items()}

    def unique(table: str, *cols: str) -> None:
        if table in tables:
            keys = [tuple(r[c] for c in cols) for r in tables[table].rows]
            dupes = len(keys) - len(set(keys))
            if dupes:
                problems.append(f"{table}: {dupes} duplicate {cols}")

    def foreign(table: str, col: str, parent: str, pcol: str) -> None:
        if table in tables and parent in tables:
            known = set(tables[parent].column(pcol))
            missing = {v for v in tables[table].column(col) if v not in known}
            if missing:
                problems.append(f"{table}.{col}: {len(missing)} values not in {parent}.{pcol}")

    unique("orders", "order_id")
    unique("customers", "customer_id")
    unique("products", "product_id")
    unique("sellers", "seller_id")
    unique("order_items", "order_id", "order_item_id")
    unique("order_payments", "order_id", "payment_sequential")
    unique("product_category_name_translation", "product_category_name")
    foreign("order_items", "order_id", "orders", "order_id")
    foreign("order_items", "product_id", "products", "product_id")
    foreign("order_items", "seller_id", "sellers", "seller_id")
    foreign("order_payments", "order_id", "orders", "order_id")
    foreign("order_reviews", "order_id", "orders", "order_id")
    foreign("orders", "customer_id", "customers", "customer_id")

    if "orders" in tables:
        _check_orders(tables, problems, stats)
    if "order_items" in tables:
        per_order = Counter(tables["order_items"].column("order_id"))
        stats["items_per_order_max"] = max(per_order.values(), default=0)
        stats["multi_item_orders"] = sum(1 for v in per_order.values() if v > 1)
        by_order: dict[str, list[int]] = {}
        for r in tables["order_items"].rows:
            by_order.setdefault(r["order_id"], []).append(int(r["order_item_id"]))
        gaps = sum(1 for ids in by_order.values() if sorted(ids) != list(range(1, len(ids) + 1)))
        if gaps:
            problems.append(f"order_items: {gaps} orders whose order_item_id is not 1..n")
        stats["item_price_total"] = round(sum(float(v) for v in tables["order_items"].column("price")), 2)
    if "order_payments" in tables:
        pay = tables["order_payments"]
        bad = Counter(t for t in pay.column("payment_type") if t not in PAYMENT_TYPES)
        if bad:
            problems.append(f"order_payments: unknown payment types {dict(bad)}")
        stats["payment_types"] = dict(Counter(pay.column("payment_type")))
        stats["payment_sequential_max"] = max((int(v) for v in pay.column("payment_sequential")), default=0)
        stats["payment_total"] = round(sum(float(v) for v in pay.column("payment_value")), 2)
    if "order_reviews" in tables:
        rev = tables["order_reviews"]
        scores = Counter(rev.column("review_score"))
        if set(scores) - {"1", "2", "3", "4", "5"}:
            problems.append(f"order_reviews: scores outside 1..5: {set(scores)}")
        n = max(len(rev.rows), 1)
        stats["review_title_empty"] = sum(1 for v in rev.column("review_comment_title") if not v) / n
        stats["review_message_empty"] = sum(1 for v in rev.column("review_comment_message") if not v) / n
        ids = Counter(rev.column("review_id"))
        stats["review_ids_repeated"] = sum(c - 1 for c in ids.values())
        stats["orders_with_several_reviews"] = sum(1 for c in Counter(rev.column("order_id")).values() if c > 1)
        stats["score_share"] = {k: v / n for k, v in sorted(scores.items())}
        messages = [v for v in rev.column("review_comment_message") if v]
        stats["messages_with"] = {
            ch: sum(1 for m in messages if ch in m) for ch in (",", '"', "\n", "ã", "é", "ç")
        }  # fmt: skip
    if "customers" in tables:
        cust = tables["customers"]
        states = Counter(cust.column("customer_state"))
        stats["customer_states"] = len(states)
        stats["customer_sp_share"] = states["SP"] / max(len(cust.rows), 1)
        stats["customer_unique_ratio"] = len(set(cust.column("customer_unique_id"))) / max(len(cust.rows), 1)
    if "geolocation" in tables:
        geo = tables["geolocation"]
        stats["geolocation_zips"] = len(set(geo.column("geolocation_zip_code_prefix")))
        stats["geolocation_outside_brazil"] = sum(
            1
            for r in geo.rows
            if not (-34 <= float(r["geolocation_lat"]) <= 5.3 and -74 <= float(r["geolocation_lng"]) <= -34.7)
        )
        spellings: dict[str, set[str]] = {}
        for r in geo.rows:
            spellings.setdefault(r["geolocation_zip_code_prefix"], set()).add(r["geolocation_city"])
        stats["geolocation_zips_with_spelling_variants"] = sum(1 for s in spellings.values() if len(s) > 1)
        if "customers" in tables:
            known = set(spellings)
            stats["customers_zip_not_in_geolocation"] = sum(
                1 for z in tables["customers"].column("customer_zip_code_prefix") if z not in known
            )
    if "products" in tables:
        prod = tables["products"]
        stats["products_without_category"] = sum(1 for v in prod.column("product_category_name") if not v)
        stats["products_without_dimensions"] = sum(1 for v in prod.column("product_weight_g") if not v)
        blank = [r for r in prod.rows if not r["product_category_name"]]
        incoherent = [r for r in blank if r["product_name_lenght"] or r["product_photos_qty"]]
        if incoherent:
            problems.append(f"products: {len(incoherent)} without category but with name/photo figures")
        if "product_category_name_translation" in tables:
            translated = set(tables["product_category_name_translation"].column("product_category_name"))
            categories = {r["product_category_name"] for r in prod.rows} - {""}
            stats["untranslated_categories"] = sorted(categories - translated)
    return Dataset(tables, problems, stats)


def _check_orders(tables: dict[str, Table], problems: list[str], stats: dict) -> None:
    orders = tables["orders"].rows
    n = max(len(orders), 1)
    statuses = Counter(r["order_status"] for r in orders)
    if set(statuses) - STATUSES:
        problems.append(f"orders: unknown statuses {set(statuses) - STATUSES}")
    stats["status_share"] = {k: v / n for k, v in statuses.items()}
    for col in ("order_approved_at", "order_delivered_carrier_date", "order_delivered_customer_date"):
        stats[f"{col}_null"] = sum(1 for r in orders if not r[col])
    purchase = [r["order_purchase_timestamp"] for r in orders]
    stats["purchase_min"], stats["purchase_max"] = min(purchase), max(purchase)
    in_core = sum(1 for p in purchase if "2017-01" <= p[:7] <= "2018-08")
    stats["purchase_core_share"] = in_core / n
    for r in orders:
        status = r["order_status"]
        if r["order_delivered_customer_date"] and status not in ("delivered", "canceled"):
            problems.append(f"orders {r['order_id']}: {status} but has a delivery date")
        if status == "created" and (r["order_approved_at"] or r["order_delivered_carrier_date"]):
            problems.append(f"orders {r['order_id']}: created but approved or shipped")
        if status == "shipped" and not r["order_delivered_carrier_date"]:
            problems.append(f"orders {r['order_id']}: shipped without carrier date")
        if r["order_approved_at"] and r["order_approved_at"] < r["order_purchase_timestamp"]:
            problems.append(f"orders {r['order_id']}: approved before purchase")
        if r["order_estimated_delivery_date"] < r["order_purchase_timestamp"][:10]:
            problems.append(f"orders {r['order_id']}: estimated before purchase")
        if len(problems) > 50:
            return
    if "customers" in tables:
        customer_ids = [r["customer_id"] for r in orders]
        if len(set(customer_ids)) != len(customer_ids):
            problems.append("orders: a customer_id is used by several orders (must be one per order)")
        if len(tables["customers"].rows) != len(orders):
            problems.append("customers: not exactly one customer row per order")
