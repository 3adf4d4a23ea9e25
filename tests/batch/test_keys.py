"""Keys between the files, checked at validate: orphans are quarantined with the key and the parent file,
a quarantined row takes the rows that depend on it along, and too many of them fail the run at validate
(never later in a dbt test) with a message naming both files, the count and the first keys."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from olist_dw.batch.land import land_all
from olist_dw.batch.validate import BrokenKeysError, validate_all
from olist_dw.contract import SOURCES, SOURCES_BY_TABLE, parents_first
from olist_dw.errors import UserFacingError
from olist_dw.lake import LocalLake
from tests.batch.broken_keys import BrokenKeys, build_broken_keys, read_records

CUSTOMERS, ORDERS = "olist_customers_dataset.csv", "olist_orders_dataset.csv"
PRODUCTS, SELLERS = "olist_products_dataset.csv", "olist_sellers_dataset.csv"
PAYMENTS = "olist_order_payments_dataset.csv"
CHILDREN = ("order_items", "order_payments", "order_reviews")


@pytest.fixture(scope="module")
def broken_keys(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BrokenKeys:
    return build_broken_keys(real_data_dir, tmp_path_factory.mktemp("broken-keys"))


def validate(source_dir: Path, lake_dir: Path, max_fraction: float) -> dict:
    lake = LocalLake(lake_dir)
    land_all(lake, source_dir)
    return validate_all(lake, max_fraction)


def quarantined(lake_dir: Path, table: str) -> list[tuple[int, str]]:
    """(line, reason) of every row in quarantine/<table>/<stem>.rejected.csv, in line order."""
    path = lake_dir / "quarantine" / table / f"{SOURCES_BY_TABLE[table].stem}.rejected.csv"
    if not path.exists():
        return []
    rows = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(strings_can_be_null=False)).to_pylist()
    return [(r["_line"], r["_reason"]) for r in rows]


def expected_orphans(broken: BrokenKeys) -> dict[str, list[tuple[int, str]]]:
    """What validate must quarantine, from the keys the cut removed (the first broken key of a row wins,
    in the contract's column order: order, product, seller)."""
    source = broken.source_dir
    removed = broken.removed
    expected: dict[str, list[tuple[int, str]]] = {}
    expected["orders"] = [
        (line, f"customer_id {r['customer_id']} not in {CUSTOMERS}")
        for line, r in read_records(source / ORDERS)
        if r["customer_id"] in removed["customers"]
    ]
    cascaded = {  # quarantined orders: their items, payments and reviews go too
        r["order_id"]: line for line, r in read_records(source / ORDERS) if r["customer_id"] in removed["customers"]
    }

    def order_reason(order_id: str) -> str | None:
        if order_id in removed["orders"]:
            return f"order_id {order_id} not in {ORDERS}"
        if order_id in cascaded:
            return f"order_id {order_id} quarantined in {ORDERS} (line {cascaded[order_id]})"
        return None

    for table in CHILDREN:
        rows = []
        for line, r in read_records(source / SOURCES_BY_TABLE[table].file_name):
            reason = order_reason(r["order_id"])
            if reason is None and table == "order_items":
                if r["product_id"] in removed["products"]:
                    reason = f"product_id {r['product_id']} not in {PRODUCTS}"
                elif r["seller_id"] in removed["sellers"]:
                    reason = f"seller_id {r['seller_id']} not in {SELLERS}"
            if reason:
                rows.append((line, reason))
        expected[table] = rows
    return expected


def test_the_contract_declares_the_keys_between_the_files():
    keys = {(s.table, r.column, r.parent, r.parent_column) for s in SOURCES for r in s.references}
    assert keys == {
        ("order_items", "order_id", "orders", "order_id"),
        ("order_items", "product_id", "products", "product_id"),
        ("order_items", "seller_id", "sellers", "seller_id"),
        ("order_payments", "order_id", "orders", "order_id"),
        ("order_reviews", "order_id", "orders", "order_id"),  # review_id is not unique in Olist
        ("orders", "customer_id", "customers", "customer_id"),
    }
    order = [s.table for s in parents_first(SOURCES)]
    assert sorted(order) == sorted(s.table for s in SOURCES)
    for source in SOURCES:
        for ref in source.references:
            assert order.index(ref.parent) < order.index(source.table), (source.table, ref.parent)


def test_orphans_of_a_real_subset_are_quarantined_and_the_run_goes_on(broken_keys: BrokenKeys, olist_home: Path):
    lake_dir = olist_home / "lake"
    report = validate(broken_keys.source_dir, lake_dir, max_fraction=0.2)
    expected = expected_orphans(broken_keys)
    # the fixture breaks every key and the cascade, or this test would prove less than its name
    reasons = " ".join(reason for rows in expected.values() for _, reason in rows)
    for fragment in ("customer_id", f"quarantined in {ORDERS}", f"not in {ORDERS}", PRODUCTS, SELLERS):
        assert fragment in reasons, fragment
    for table in ("orders", *CHILDREN):
        assert quarantined(lake_dir, table) == expected[table], table
    for table in ("customers", "products", "sellers", "geolocation"):
        assert quarantined(lake_dir, table) == [], table

    files = {f["table"]: f for f in report["files"]}
    assert files["order_payments"]["rejected"] == len(expected["order_payments"])
    assert files["order_payments"]["reasons"] == {
        f"order_id: not in {ORDERS}": sum("not in" in r for _, r in expected["order_payments"]),
        f"order_id: quarantined in {ORDERS}": sum("quarantined in" in r for _, r in expected["order_payments"]),
    }
    # what passed is in bronze-parquet, and only that: every item's keys hold
    parquet = lake_dir / "bronze-parquet"
    con = duckdb.connect()
    for table in ("orders", *CHILDREN):
        rows = pq.read_metadata(parquet / table / "part-0.parquet").num_rows
        assert rows == files[table]["rows"] - len(expected[table]), table

    def part(table: str) -> str:
        return f"read_parquet('{parquet / table / 'part-0.parquet'}')"

    orphans = con.execute(
        f"select count(*) from {part('order_items')} i where i.order_id not in (select order_id from {part('orders')})"
        f" or i.product_id not in (select product_id from {part('products')})"
        f" or i.seller_id not in (select seller_id from {part('sellers')})"
    ).fetchone()[0]
    assert orphans == 0


def test_an_order_with_an_impossible_timestamp_takes_its_items_payments_and_reviews(source_dir: Path, olist_home):
    orders_path = source_dir / ORDERS
    records = {t: read_records(source_dir / SOURCES_BY_TABLE[t].file_name) for t in CHILDREN}
    with_everything = set.intersection(*({r["order_id"] for _, r in records[t]} for t in CHILDREN))
    line, order = next((line, r) for line, r in read_records(orders_path) if r["order_id"] in with_everything)
    lines = orders_path.read_bytes().splitlines(keepends=True)
    assert order["order_purchase_timestamp"].encode() in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(order["order_purchase_timestamp"].encode(), b"2017-13-45 99:99:99")
    orders_path.write_bytes(b"".join(lines))

    lake_dir = olist_home / "lake"
    validate(source_dir, lake_dir, max_fraction=0.01)
    order_id = order["order_id"]
    assert quarantined(lake_dir, "orders") == [(line, "order_purchase_timestamp: not a timestamp YYYY-MM-DD HH:MM:SS")]
    cascade = f"order_id {order_id} quarantined in {ORDERS} (line {line})"
    for table in CHILDREN:
        dependants = [(n, cascade) for n, r in records[table] if r["order_id"] == order_id]
        assert dependants, table
        assert quarantined(lake_dir, table) == dependants, table
        kept = pq.read_table(lake_dir / "bronze-parquet" / table / "part-0.parquet", columns=["order_id"])
        assert order_id not in kept.column("order_id").to_pylist(), table
        assert kept.num_rows == len(records[table]) - len(dependants), table


def first_keys(rows: list[tuple[int, str]], fragment: str, count: int = 5) -> list[str]:
    keys: list[str] = []
    for _, reason in rows:
        key = reason.split()[1]
        if fragment in reason and key not in keys and len(keys) < count:
            keys.append(key)
    return keys


@pytest.mark.parametrize(
    ("max_fraction", "child", "parent"),
    [(0.01, ORDERS, CUSTOMERS), (0.03, PAYMENTS, ORDERS)],  # orders break 1.75%, payments 6.5% of their rows
)
def test_too_many_orphans_fail_at_validate_naming_both_files(
    broken_keys: BrokenKeys, olist_home: Path, max_fraction: float, child: str, parent: str
):
    lake_dir = olist_home / "lake"
    lake = LocalLake(lake_dir)
    land_all(lake, broken_keys.source_dir)
    started = time.monotonic()
    with pytest.raises(BrokenKeysError) as err:
        validate_all(lake, max_fraction)
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"validate took {elapsed:.1f} s to reject the file"
    assert isinstance(err.value, UserFacingError)
    message = str(err.value)
    assert message.startswith(f"{child}, line ")
    table = next(s.table for s in SOURCES if s.file_name == child)
    expected = expected_orphans(broken_keys)[table]
    assert f"too many bad rows: {len(expected)} of " in message
    assert err.value.line == expected[0][0]
    for kind, what in (("not in", "is not in"), ("quarantined in", "was quarantined in")):
        count = sum(kind in reason for _, reason in expected)
        if count:
            keys = ", ".join(first_keys(expected, kind))
            assert f"{count} rows whose {expected[0][1].split()[0]} {what} {parent} (e.g. {keys})" in message
    assert "\x1b" not in message
    assert not (lake_dir / "bronze-parquet").exists()  # nothing converted: the run stopped at validate


@pytest.mark.e2e
def test_batch_run_on_a_real_subset_with_broken_keys_publishes(
    broken_keys: BrokenKeys, olist_home: Path, monkeypatch: pytest.MonkeyPatch
):
    from olist_dw.demo.batch import run_batch_dag
    from olist_dw.settings import get_settings

    monkeypatch.setenv("OLIST_SOURCE_DIR", str(broken_keys.source_dir))
    monkeypatch.setenv("OLIST_MAX_BAD_ROW_FRACTION", "0.2")
    monkeypatch.setenv("OLIST_TASK_RETRIES", "0")
    settings = get_settings()
    run_batch_dag(settings)  # raises unless every task, dbt's tests included, succeeded
    expected = expected_orphans(broken_keys)
    con = duckdb.connect(str(settings.serving_path), read_only=True)
    for table, mart in (
        ("orders", "fct_orders"),
        ("order_items", "fct_order_items"),
        ("order_payments", "fct_payments"),
    ):
        source_rows = len(read_records(broken_keys.source_dir / SOURCES_BY_TABLE[table].file_name))
        published = con.execute(f"select count(*) from marts.{mart}").fetchone()[0]
        assert published == source_rows - len(expected[table]), mart
    con.close()


def test_an_order_row_cut_short_still_takes_its_items_along_naming_its_line(source_dir: Path, olist_home):
    """A row with the wrong number of fields cannot be typed, but its order_id is still readable: its items
    are quarantined as the cascade, with the order's line (not as orphans of an unknown order)."""
    orders_path = source_dir / ORDERS
    items = read_records(source_dir / SOURCES_BY_TABLE["order_items"].file_name)
    with_items = {r["order_id"] for _, r in items}
    line, order = next((line, r) for line, r in read_records(orders_path) if r["order_id"] in with_items)
    lines = orders_path.read_bytes().splitlines(keepends=True)
    lines[line - 1] = b",".join(lines[line - 1].split(b",")[:3]) + b"\n"  # order_id, customer_id, status
    orders_path.write_bytes(b"".join(lines))

    lake_dir = olist_home / "lake"
    validate(source_dir, lake_dir, max_fraction=0.01)
    assert quarantined(lake_dir, "orders") == [(line, "wrong number of fields: expected 8, found 3")]
    cascade = f"order_id {order['order_id']} quarantined in {ORDERS} (line {line})"
    assert quarantined(lake_dir, "order_items") == [
        (n, cascade) for n, r in items if r["order_id"] == order["order_id"]
    ]
