"""End to end: olist_batch through Airflow (`airflow dags test`), then reconciliation of the published
marts with the raw files; a second run gives identical marts; a run whose dbt tests fail leaves the
published snapshot unchanged. Also on the real files combined with generated ones."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from olist_dw.batch.publish import PUBLISHED_SCHEMAS
from olist_dw.demo.batch import run_batch_dag
from olist_dw.errors import UserFacingError
from olist_dw.settings import Settings, get_settings

pytestmark = pytest.mark.e2e

MART_SCHEMAS = PUBLISHED_SCHEMAS


def source_totals(source_dir: Path) -> dict:
    """Figures read straight from the CSVs (DuckDB, independent of the pipeline's code)."""
    con = duckdb.connect()

    def csv(name: str) -> str:
        path = next(p for p in (source_dir / name, source_dir / f"{name}.gz") if p.exists())
        return f"read_csv('{path}', all_varchar=true, header=true)"

    items_csv = csv("olist_order_items_dataset.csv")
    items = con.execute(
        f"select sum(price::decimal(18,2)), sum(freight_value::decimal(18,2)) from {items_csv}"
    ).fetchone()
    payments = con.execute(
        f"select sum(payment_value::decimal(18,2)) from {csv('olist_order_payments_dataset.csv')}"
    ).fetchone()[0]
    statuses = dict(
        con.execute(f"select order_status, count(*) from {csv('olist_orders_dataset.csv')} group by 1").fetchall()
    )
    return {"price": items[0], "freight": items[1], "payment": payments, "orders_by_status": statuses}


def mart_totals(serving_path: Path) -> dict:
    con = duckdb.connect(str(serving_path), read_only=True)
    price, freight, payment = con.execute(
        "select sum(items_total), sum(freight_total), sum(payment_total) from marts.fct_orders"
    ).fetchone()
    statuses = dict(con.execute("select order_status, count(*) from marts.fct_orders group by 1").fetchall())
    con.close()
    return {"price": price, "freight": freight, "payment": payment, "orders_by_status": statuses}


def marts_fingerprint(serving_path: Path) -> dict[str, str]:
    """Order-independent content hash of every published table of marts and gold."""
    con = duckdb.connect(str(serving_path), read_only=True)
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where schema_name in ('marts', 'gold') order by 1, 2"
    ).fetchall()
    prints = {}
    for schema, table in tables:
        count, total = con.execute(f'select count(*), sum(hash(t)) from "{schema}"."{table}" t').fetchone()
        prints[f"{schema}.{table}"] = f"{count}:{total}"
    con.close()
    return prints


@pytest.fixture(scope="module")
def e2e_env(generated_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("e2e") / "olist-home"
    source = home.parent / "source"
    shutil.copytree(generated_dataset, source)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OLIST_HOME", str(home))
        mp.setenv("OLIST_SOURCE_DIR", str(source))
        mp.setenv("OLIST_TARGET", "local")
        mp.setenv("OLIST_TASK_RETRIES", "0")
        settings = get_settings()
        run_batch_dag(settings)
        yield settings, source


def test_published_marts_reconcile_with_the_raw_files(e2e_env):
    settings, source = e2e_env
    expected, published = source_totals(source), mart_totals(settings.serving_path)
    assert published == expected
    assert sum(expected["orders_by_status"].values()) > 500


def test_second_run_gives_identical_marts(e2e_env):
    settings, _ = e2e_env
    first = marts_fingerprint(settings.serving_path)
    assert len(first) >= 10
    run_batch_dag(settings)
    assert marts_fingerprint(settings.serving_path) == first


def test_failed_dbt_tests_leave_the_published_marts_unchanged(e2e_env):
    settings, source = e2e_env
    before = hashlib.sha256(settings.serving_path.read_bytes()).hexdigest()
    orders = source / "olist_orders_dataset.csv"
    lines = orders.read_bytes().splitlines(keepends=True)
    orders.write_bytes(b"".join([*lines, lines[-1]]))  # a duplicate order: valid rows, but not unique
    with pytest.raises(UserFacingError, match="olist_batch run failed"):
        run_batch_dag(settings)
    assert hashlib.sha256(settings.serving_path.read_bytes()).hexdigest() == before
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)  # the build did take the duplicate
    assert con.execute("select count(*) - count(distinct order_id) from raw.orders").fetchone()[0] == 1
    con.close()


def test_real_files_combined_with_generated_ones(real_data_dir: Path, tmp_path: Path, monkeypatch):
    from olist_dw.generator import generate

    real_subset = tmp_path / "real"
    real_subset.mkdir()
    for name in ("olist_products_dataset.csv.gz", "olist_sellers_dataset.csv.gz"):
        (real_subset / name).symlink_to(real_data_dir / name)
    (real_subset / "product_category_name_translation.csv.gz").symlink_to(
        real_data_dir / "product_category_name_translation.csv.gz"
    )
    source = tmp_path / "source"
    generate(source, scale=0.01, seed=5, real_dir=real_subset, quiet=True)
    monkeypatch.setenv("OLIST_HOME", str(tmp_path / "olist-home"))
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(source))
    monkeypatch.setenv("OLIST_TARGET", "local")
    monkeypatch.setenv("OLIST_TASK_RETRIES", "0")
    settings: Settings = get_settings()
    run_batch_dag(settings)
    assert mart_totals(settings.serving_path) == source_totals(source)
    con = duckdb.connect(str(settings.serving_path), read_only=True)
    assert con.execute("select count(*) from marts.dim_products").fetchone()[0] == 32_951  # the real products
    con.close()
