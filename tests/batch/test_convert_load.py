"""land, convert and load on their own: Parquet types and compression, atomic idempotent load."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from olist_dw.batch.convert import convert_all
from olist_dw.batch.land import land_all
from olist_dw.batch.load import load_local, raw_table_ddl
from olist_dw.batch.validate import FileRejectedError, validate_all
from olist_dw.contract import SOURCES
from olist_dw.lake import LocalLake
from olist_dw.settings import Settings


def convert(settings: Settings) -> LocalLake:
    lake = LocalLake(settings.lake_dir)
    land_all(lake, settings.effective_source_dir)
    validate_all(lake, settings.max_bad_row_fraction)
    convert_all(lake)
    return lake


def test_land_prefers_csv_and_clears_stale_files(settings: Settings, source_dir: Path):
    lake = LocalLake(settings.lake_dir)
    orders = source_dir / "olist_orders_dataset.csv"
    (source_dir / "olist_orders_dataset.csv.gz").write_bytes(gzip.compress(orders.read_bytes()))
    land_all(lake, source_dir)
    assert lake.list_keys("bronze/orders/") == ["bronze/orders/olist_orders_dataset.csv"]
    orders.unlink()
    land_all(lake, source_dir)  # the next run lands the .gz and drops the old .csv
    assert lake.list_keys("bronze/orders/") == ["bronze/orders/olist_orders_dataset.csv.gz"]


def test_missing_file_lands_nothing(settings: Settings, source_dir: Path):
    (source_dir / "olist_sellers_dataset.csv").unlink()
    with pytest.raises(FileRejectedError, match="olist_sellers_dataset.csv"):
        land_all(LocalLake(settings.lake_dir), source_dir)
    assert not (settings.lake_dir / "bronze").exists()


def test_parquet_has_the_contract_types_snappy_and_text_zip_prefixes(settings: Settings, source_dir: Path):
    convert(settings)
    folder = settings.lake_dir / "bronze-parquet"
    items = pq.read_table(folder / "order_items")
    assert items.schema.field("price").type == pa.decimal128(12, 2)
    price = pq.ParquetFile(folder / "order_items" / "part-0.parquet").schema.column(5)
    assert (price.name, price.physical_type) == ("price", "INT64")  # as Spark (the Glue job) stores decimal(12,2)
    assert items.schema.field("order_item_id").type == pa.int32()
    assert items.schema.field("shipping_limit_date").type == pa.timestamp("us")
    geo = pq.read_table(folder / "geolocation")
    assert geo.schema.field("geolocation_lat").type == pa.float64()
    zips = geo.column("geolocation_zip_code_prefix").to_pylist()
    assert all(isinstance(z, str) and len(z) == 5 for z in zips)
    assert any(z.startswith("0") for z in zips)  # leading zeros kept
    metadata = pq.ParquetFile(next((folder / "orders").glob("*.parquet"))).metadata
    assert metadata.row_group(0).column(0).compression == "SNAPPY"
    orders = pq.read_table(folder / "orders")
    assert orders.column("order_delivered_customer_date").null_count > 0  # empty field -> NULL, not ''


def test_raw_tables_have_exactly_the_parquet_columns(settings: Settings, source_dir: Path):
    """The raw tables (DuckDB here, Redshift from the same raw_table_ddl) hold the Parquet's columns, in order,
    and nothing else: Redshift's COPY from Parquet is positional and needs as many columns as the table."""
    lake = convert(settings)
    load_local(settings.warehouse_path, settings.lake_dir)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    for source in SOURCES:
        columns = [r[0] for r in con.execute(f"describe raw.{source.table}").fetchall()]
        parquet = pq.read_schema(lake.path(f"bronze-parquet/{source.table}/part-0.parquet")).names
        assert columns == parquet == source.header, source.table
    con.close()
    for statement, source in zip(raw_table_ddl()[1:], SOURCES, strict=True):
        body = statement[statement.index("(") + 1 : statement.rindex(")")]
        assert [part.split()[0].strip('"') for part in re.split(r",(?![^()]*\))", body)] == source.header


def test_load_is_atomic_and_idempotent(settings: Settings, source_dir: Path):
    convert(settings)
    first = load_local(settings.warehouse_path, settings.lake_dir)
    assert set(first) == {s.table for s in SOURCES}
    con = duckdb.connect(str(settings.warehouse_path))
    content = {t: con.execute(f"select sum(hash(t)) from raw.{t} t").fetchone() for t in first}
    con.close()

    assert load_local(settings.warehouse_path, settings.lake_dir) == first  # a second run: same rows

    # a broken Parquet file for orders (6th of 9 tables): the whole load rolls back, raw keeps the last run
    broken = settings.lake_dir / "bronze-parquet" / "orders" / "part-0.parquet"
    broken.write_bytes(b"PAR1 broken")
    with pytest.raises(duckdb.Error):
        load_local(settings.warehouse_path, settings.lake_dir)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    after = {t: con.execute(f"select sum(hash(t)) from raw.{t} t").fetchone() for t in first}
    con.close()
    assert after == content
