"""History in the dimensions: the batch's dbt build over release 1, then release 2 of the same generated dataset
(olist-dw generate --release 2), then release 2 again. The snapshots keep one version per change, the history
dimensions date them, fct_order_items joins the version valid at purchase time, and a re-run adds nothing.

Every expectation is computed here from the two releases' CSV files (which rows differ, which orders are new),
not from the generator's code or the models' SQL."""

from __future__ import annotations

import csv
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from olist_dw.contract import SOURCES_BY_TABLE
from tests.dbt.dbt_helpers import dbt_paths
from tests.dbt.raw_fixture import load_raw

HISTORY_START = datetime(1900, 1, 1)
HISTORY_END = datetime(9999, 12, 31, 23, 59, 59)
SNAPSHOTS = ("snap_olist_extracts", "snap_olist_products", "snap_olist_sellers")
HISTORY_TABLES = ("marts.dim_products_history", "marts.dim_sellers_history", "marts.fct_order_items")


def rows_by_id(folder: Path, table: str) -> dict[str, dict[str, str]]:
    with (folder / SOURCES_BY_TABLE[table].file_name).open(encoding="utf-8-sig", newline="") as fh:
        return {row[SOURCES_BY_TABLE[table].header[0]]: row for row in csv.DictReader(fh)}


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def fingerprint(warehouse: Path, tables: tuple[str, ...]) -> dict[str, str]:
    """Order-independent content hash of each table."""
    return {t: "{}:{}".format(*query(warehouse, f"select count(*), sum(hash(x)) from {t} as x")[0]) for t in tables}


def build(home: Path, source: Path) -> None:
    """The batch's transform over `source`: raw reloaded (as the batch's load replaces it), then `dbt build`."""
    from olist_dw.dbt_runner import release_in_process_dbt_duckdb, run_dbt
    from olist_dw.settings import Settings
    from olist_dw.targets import get_target

    settings = Settings()
    load_raw(settings.warehouse_path, source)
    run_dbt(["build", "--select", "tag:batch", *dbt_paths(home)], get_target(settings))
    release_in_process_dbt_duckdb()  # dbt-duckdb keeps the file open in this process; the checks read it


class Releases:
    """Both releases' files, the warehouse after each build, and what the files say changed."""

    def __init__(self, first: Path, second: Path, warehouse: Path):
        self.first, self.second, self.warehouse = first, second, warehouse
        self.sellers = (rows_by_id(first, "sellers"), rows_by_id(second, "sellers"))
        self.products = (rows_by_id(first, "products"), rows_by_id(second, "products"))
        self.orders = (rows_by_id(first, "orders"), rows_by_id(second, "orders"))
        last_purchase = max(r["order_purchase_timestamp"] for r in self.orders[0].values())
        self.first_cut = datetime.strptime(last_purchase, "%Y-%m-%d %H:%M:%S")
        self.changes_from = self.first_cut + timedelta(seconds=1)  # the rule of int_extract_changes_dated
        old, new = self.sellers
        self.moved_sellers = sorted(k for k in old if new[k] != old[k])
        self.new_sellers = sorted(set(new) - set(old))
        old, new = self.products
        self.changed_products = sorted(k for k in old if new[k] != old[k])
        self.new_products = sorted(set(new) - set(old))
        self.unchanged_products = sorted(k for k in old if new[k] == old[k])


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory):
    from olist_dw.generator import generate
    from olist_dw.settings import Settings

    base = tmp_path_factory.mktemp("history")
    first, second, home = base / "release-1", base / "release-2", base / "home"
    home.mkdir()
    generate(first, scale=0.01, seed=3)
    generate(second, scale=0.01, seed=3, release=2)
    saved_env = dict(os.environ)  # run_dbt exports the profile's variables: restore them afterwards
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OLIST_HOME", str(home))
        mp.setenv("OLIST_TARGET", "local")
        warehouse = Settings().warehouse_path
        try:
            build(home, first)
            after_first = {t: query(warehouse, f"select count(*) from snapshots.{t}")[0][0] for t in SNAPSHOTS}
            build(home, second)
            after_second = fingerprint(warehouse, tuple(f"snapshots.{t}" for t in SNAPSHOTS) + HISTORY_TABLES)
            build(home, second)  # the same release again
            after_rerun = fingerprint(warehouse, tuple(f"snapshots.{t}" for t in SNAPSHOTS) + HISTORY_TABLES)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
    return Releases(first, second, warehouse), after_first, after_second, after_rerun


def test_release_2_adds_one_version_per_changed_row_and_one_per_new_row(releases):
    r, after_first, _, _ = releases
    old_sellers, new_sellers = r.sellers
    old_products, new_products = r.products
    assert r.moved_sellers and r.new_sellers and r.changed_products and r.new_products
    assert after_first == {
        "snap_olist_extracts": 1,
        "snap_olist_sellers": len(old_sellers),
        "snap_olist_products": len(old_products),
    }
    counts = {t: query(r.warehouse, f"select count(*) from snapshots.{t}")[0][0] for t in SNAPSHOTS}
    assert counts == {
        "snap_olist_extracts": 2,
        "snap_olist_sellers": len(new_sellers) + len(r.moved_sellers),
        "snap_olist_products": len(new_products) + len(r.changed_products),
    }
    ((versions, current, products),) = query(
        r.warehouse,
        "select count(*), count(*) filter (where is_current), count(distinct product_id) "
        "from marts.dim_products_history",
    )
    assert (versions, current, products) == (
        len(new_products) + len(r.changed_products),
        len(new_products),
        len(new_products),
    )


def test_a_moved_seller_has_its_old_and_new_address_with_the_validity_between_the_releases(releases):
    r, *_ = releases
    old, new = r.sellers
    for seller_id in r.moved_sellers:
        versions = query(
            r.warehouse,
            "select seller_zip_code_prefix, seller_state, valid_from, valid_to, is_current "
            "from marts.dim_sellers_history where seller_id = ? order by valid_from",
            [seller_id],
        )
        assert versions == [
            (
                old[seller_id]["seller_zip_code_prefix"],
                old[seller_id]["seller_state"],
                HISTORY_START,
                r.changes_from,
                False,
            ),
            (
                new[seller_id]["seller_zip_code_prefix"],
                new[seller_id]["seller_state"],
                r.changes_from,
                HISTORY_END,
                True,
            ),
        ]
    for seller_id in r.new_sellers:
        ((state, valid_from, valid_to, is_current),) = query(
            r.warehouse,
            "select seller_state, valid_from, valid_to, is_current from marts.dim_sellers_history where seller_id = ?",
            [seller_id],
        )
        assert (state, valid_from, valid_to, is_current) == (
            new[seller_id]["seller_state"],
            r.changes_from,
            HISTORY_END,
            True,
        )


def test_a_changed_product_has_both_versions_and_an_unchanged_one_a_single_version(releases):
    r, *_ = releases
    old, new = r.products
    columns = "coalesce(product_category_name_pt, ''), coalesce(cast(product_weight_g as varchar), '')"
    for product_id in r.changed_products:
        versions = query(
            r.warehouse,
            f"select {columns}, valid_from, valid_to from marts.dim_products_history where product_id = ? "
            "order by valid_from",
            [product_id],
        )
        assert versions == [
            (
                old[product_id]["product_category_name"],
                old[product_id]["product_weight_g"],
                HISTORY_START,
                r.changes_from,
            ),
            (
                new[product_id]["product_category_name"],
                new[product_id]["product_weight_g"],
                r.changes_from,
                HISTORY_END,
            ),
        ]
    single = query(
        r.warehouse,
        "select count(*) from marts.dim_products_history where product_id in (select unnest(?)) "
        "and valid_from = ? and valid_to = ? and is_current",
        [r.unchanged_products, HISTORY_START, HISTORY_END],
    )
    assert single == [(len(r.unchanged_products),)]


def test_order_items_join_the_version_valid_at_purchase(releases):
    r, *_ = releases
    first_orders = set(r.orders[0])
    items = query(
        r.warehouse,
        "select items.order_id, items.product_id, items.seller_id, sellers.seller_state, products.product_weight_g, "
        "coalesce(products.product_category_name_pt, '') "
        "from marts.fct_order_items as items "
        "join marts.dim_sellers_history as sellers on items.seller_version_key = sellers.seller_version_key "
        "join marts.dim_products_history as products on items.product_version_key = products.product_version_key",
    )
    assert len(items) == query(r.warehouse, "select count(*) from raw.order_items")[0][0]
    wrong = []
    seen = {"moved seller, release 1": 0, "moved seller, release 2": 0, "changed product, release 2": 0}
    for order_id, product_id, seller_id, state, weight, category in items:
        release = 0 if order_id in first_orders else 1  # the release whose files the order first appeared in
        seller = r.sellers[release][seller_id]
        product = r.products[release][product_id]
        expected = (
            seller["seller_state"],
            int(product["product_weight_g"]) if product["product_weight_g"] else None,
            product["product_category_name"],
        )
        if (state, weight, category) != expected:
            wrong.append((order_id, product_id, seller_id, (state, weight, category), expected))
        if seller_id in r.moved_sellers:
            seen[f"moved seller, release {release + 1}"] += 1
        if product_id in r.changed_products and release == 1:
            seen["changed product, release 2"] += 1
    assert wrong == []
    assert all(seen.values()), seen  # the check above covered both sides of a change


def test_rerunning_release_2_adds_no_version_and_changes_no_table(releases):
    _, _, after_second, after_rerun = releases
    assert after_rerun == after_second


def test_current_dimensions_keep_their_published_columns(releases):
    r, *_ = releases
    columns = {
        table: [
            c
            for (c,) in query(
                r.warehouse,
                "select column_name from information_schema.columns where "
                "table_schema = 'marts' and table_name = ? order by ordinal_position",
                [table],
            )
        ]
        for table in ("dim_products", "dim_sellers")
    }
    assert columns["dim_products"] == [
        "product_id",
        "product_category",
        "product_category_name_pt",
        "product_category_name_en",
        "product_name_length",
        "product_description_length",
        "product_photos_qty",
        "product_weight_g",
        "product_length_cm",
        "product_height_cm",
        "product_width_cm",
    ]
    assert columns["dim_sellers"] == ["seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"]
    old, new = r.sellers
    for seller_id in r.moved_sellers:
        assert query(r.warehouse, "select seller_state from marts.dim_sellers where seller_id = ?", [seller_id]) == [
            (new[seller_id]["seller_state"],)
        ]
    assert query(r.warehouse, "select count(*) from marts.dim_products")[0][0] == len(r.products[1])


def test_redshift_target_compiles_the_snapshots_and_the_history_sql(tmp_path: Path) -> None:
    from dbt.cli.main import dbtRunner

    from olist_dw.settings import DBT_PROJECT_DIR

    selection = ["int_extract_changes_dated", "snap_olist_products", "dim_products_history", "fct_order_items"]
    saved = dict(os.environ)
    os.environ.update({"DO_NOT_TRACK": "1", "OLIST_TARGET": "aws", "OLIST_WAREHOUSE_PATH": str(tmp_path / "x.duckdb")})
    try:
        result = dbtRunner().invoke(
            ["compile", "--select", *selection, "--no-populate-cache", "--no-introspect", *dbt_paths(tmp_path),
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        )  # fmt: skip
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert result.success, result.exception
    compiled = {r.node.name: r.node.compiled_code for r in result.result.results if r.node.name in selection}
    assert set(compiled) == set(selection)
    assert re.search(r"dateadd\(\s*second,\s*1,", compiled["int_extract_changes_dated"])  # Redshift's, not DuckDB's
    assert '"snapshots"."snap_olist_extracts"' in compiled["int_extract_changes_dated"]  # never a __build schema
    assert '"snapshots"."snap_olist_products"' in compiled["dim_products_history"]


def test_olist_batch_renders_the_snapshots_as_watcher_tasks() -> None:
    """Cosmos (watcher mode) renders each snapshot of the manifest as a task of the batch's transform group that
    reports right after the one `dbt build`; the order (after its input model, before the history dimension
    built on it) is dbt's, from the manifest the build runs."""
    import json

    from airflow.dag_processing.dagbag import DagBag

    from olist_dw.dbt_runner import MANIFEST_PATH
    from olist_dw.settings import PROJECT_ROOT

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "olist_batch.py"))
    assert bag.import_errors == {}
    tasks = {t.task_id: t for t in bag.dags["olist_batch"].tasks}
    snapshot_tasks = [f"transform.{name}.snapshot" for name in ("snap_olist_products", "snap_olist_sellers")]
    for task_id in [*snapshot_tasks, "transform.snap_olist_extracts_snapshot"]:
        assert type(tasks[task_id]).__name__ == "DbtSnapshotWatcherOperator"
        assert tasks[task_id].upstream_task_ids == {"transform.dbt_producer_watcher"}

    depends_on = {
        key: node["depends_on"]["nodes"] for key, node in json.loads(MANIFEST_PATH.read_text())["nodes"].items()
    }
    assert "model.olist.int_products_dated_by_extract" in depends_on["snapshot.olist.snap_olist_products"]
    assert "snapshot.olist.snap_olist_products" in depends_on["model.olist.dim_products_history"]
    assert "snapshot.olist.snap_olist_extracts" in depends_on["model.olist.int_extract_changes_dated"]


@pytest.mark.e2e
def test_the_batch_dag_keeps_the_history_across_runs_and_publishes_it(tmp_path: Path, monkeypatch) -> None:
    """olist_batch through Airflow on release 1, then release 2 in the same home: the snapshots survive the
    batch's load and publish, and the serving file has both versions of a moved seller."""
    import shutil

    from olist_dw.demo.batch import run_batch_dag
    from olist_dw.generator import generate
    from olist_dw.settings import get_settings

    first, second, source = tmp_path / "release-1", tmp_path / "release-2", tmp_path / "source"
    generate(first, scale=0.01, seed=3)
    generate(second, scale=0.01, seed=3, release=2)
    shutil.copytree(first, source)
    monkeypatch.setenv("OLIST_HOME", str(tmp_path / "olist-home"))
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(source))
    monkeypatch.setenv("OLIST_TARGET", "local")
    monkeypatch.setenv("OLIST_TASK_RETRIES", "0")
    settings = get_settings()
    run_batch_dag(settings)
    shutil.copytree(second, source, dirs_exist_ok=True)
    run_batch_dag(settings)

    old, new = rows_by_id(first, "sellers"), rows_by_id(second, "sellers")
    moved = sorted(k for k in old if new[k] != old[k])
    assert moved
    versions = query(
        settings.serving_path,
        "select seller_id, seller_state, is_current from marts.dim_sellers_history "
        "where seller_id in (select unnest(?)) order by seller_id, valid_from",
        [moved],
    )
    expected = [
        (k, state, current)
        for k in moved
        for state, current in ((old[k]["seller_state"], False), (new[k]["seller_state"], True))
    ]
    assert versions == expected
    assert query(settings.warehouse_path, "select count(*) from snapshots.snap_olist_extracts") == [(2,)]
