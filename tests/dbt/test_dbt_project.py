"""The dbt project on DuckDB: every model, data test and unit test passes over a small dataset, the
figures match the raw files, contracts bite, and the Redshift target parses and compiles."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from olist_dw.contract import SOURCES_BY_TABLE
from olist_dw.dashboard.queries import BATCH_TABLES, REALTIME_TABLE
from olist_dw.settings import DBT_PROJECT_DIR
from tests.dbt.dbt_helpers import BuiltWarehouse, dbt_paths
from tests.dbt.raw_fixture import load_raw, write_dataset

EXCLUDED = {"canceled", "unavailable"}


def read_table(source_dir: Path, table: str) -> list[dict[str, str]]:
    source = SOURCES_BY_TABLE[table]
    with (source_dir / source.file_name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def invoke_dbt(args: list[str], project_dir: Path, env: dict[str, str]) -> object:
    """dbtRunner on any project copy, with the profile's variables set only for the call."""
    from dbt.cli.main import dbtRunner

    saved = dict(os.environ)
    os.environ.update({"DO_NOT_TRACK": "1", **env})
    try:
        return dbtRunner().invoke([*args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)])
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_build_runs_every_model_data_test_and_unit_test(built_warehouse: BuiltWarehouse) -> None:
    results = built_warehouse.run_results()
    failed = [
        (r["unique_id"], r["status"], r.get("message")) for r in results if r["status"] not in ("success", "pass")
    ]
    assert not failed
    kinds = Counter(r["unique_id"].split(".")[0] for r in results)
    assert kinds["model"] >= 30
    assert kinds["test"] >= 150
    assert kinds["unit_test"] >= 8
    schemas = {
        row[0]
        for row in query(built_warehouse.warehouse_path, "select distinct table_schema from information_schema.tables")
    }
    assert {"raw", "staging", "intermediate", "marts", "gold"} <= schemas


def test_daily_revenue_by_state_counts_orders_with_items_excluding_canceled_and_unavailable(
    built_warehouse: BuiltWarehouse,
) -> None:
    src = built_warehouse.source_dir
    orders = {o["order_id"]: o for o in read_table(src, "orders")}
    state_of = {c["customer_id"]: c["customer_state"] for c in read_table(src, "customers")}
    expected_orders: dict[tuple, set] = defaultdict(set)
    expected_revenue: dict[tuple, Decimal] = defaultdict(Decimal)
    excluded_with_items = 0
    for item in read_table(src, "order_items"):
        order = orders[item["order_id"]]
        if order["order_status"] in EXCLUDED:
            excluded_with_items += 1
            continue
        key = (order["order_purchase_timestamp"][:10], state_of[order["customer_id"]])
        expected_orders[key].add(order["order_id"])
        expected_revenue[key] += Decimal(item["price"])
    assert excluded_with_items > 0, "the dataset must hold canceled/unavailable orders with items"

    rows = query(
        built_warehouse.warehouse_path,
        "select strftime(order_date, '%Y-%m-%d'), customer_state, total_orders, daily_revenue "
        "from gold.daily_revenue_by_state",
    )
    actual = {(d, s): (n, rev) for d, s, n, rev in rows}
    expected = {k: (len(v), expected_revenue[k]) for k, v in expected_orders.items()}
    assert actual == expected


def test_marts_reconcile_with_the_raw_files(built_warehouse: BuiltWarehouse) -> None:
    src = built_warehouse.source_dir
    items = read_table(src, "order_items")
    payments = read_table(src, "order_payments")
    orders = read_table(src, "orders")
    ((price, freight, n_items),) = query(
        built_warehouse.warehouse_path, "select sum(price), sum(freight_value), count(*) from marts.fct_order_items"
    )
    assert price == sum(Decimal(i["price"]) for i in items)
    assert freight == sum(Decimal(i["freight_value"]) for i in items)
    assert n_items == len(items)
    ((order_items_total, order_payments_total),) = query(
        built_warehouse.warehouse_path, "select sum(items_total), sum(payment_total) from marts.fct_orders"
    )
    assert order_items_total == price
    assert order_payments_total == sum(Decimal(p["payment_value"]) for p in payments)
    by_status = dict(
        query(built_warehouse.warehouse_path, "select order_status, count(*) from marts.fct_orders group by 1")
    )
    assert by_status == Counter(o["order_status"] for o in orders)


def test_dimensions_apply_the_category_fallback_and_review_grain(built_warehouse: BuiltWarehouse) -> None:
    wh = built_warehouse.warehouse_path
    categories = {row[0] for row in query(wh, "select distinct product_category from marts.dim_products")}
    assert {"health_beauty", "pc_gamer", "unknown"} <= categories
    ((shared_review_ids,),) = query(
        wh, "select count(*) from (select review_id from marts.fct_reviews group by 1 having count(*) > 1)"
    )
    assert shared_review_ids > 0
    ((orders_with_two_reviews, latest_flags),) = query(
        wh,
        "select count(*), sum(latest) from (select order_id, count(*) n, count(*) filter (is_latest_for_order) latest "
        "from marts.fct_reviews group by 1) where n > 1",
    )
    assert orders_with_two_reviews > 0 and latest_flags == orders_with_two_reviews
    ((missing_zip_rows,),) = query(
        wh, "select count(*) from marts.dim_geolocation where zip_code_prefix = '99999' and not has_coordinates"
    )
    assert missing_zip_rows == 1


def test_contract_violation_fails_the_model(built_warehouse: BuiltWarehouse, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    model = project / "models" / "gold" / "daily_revenue_by_state.sql"
    sql = model.read_text()
    assert "as bigint) as total_orders" in sql
    model.write_text(sql.replace("as bigint) as total_orders", "as varchar) as total_orders"))
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, warehouse)
    wal = built_warehouse.warehouse_path.with_name(built_warehouse.warehouse_path.name + ".wal")
    if wal.exists():  # dbt-duckdb may not have checkpointed yet
        shutil.copy(wal, warehouse.with_name(warehouse.name + ".wal"))

    result = invoke_dbt(
        ["run", "--select", "daily_revenue_by_state", *dbt_paths(tmp_path)],
        project,
        {"OLIST_TARGET": "local", "OLIST_WAREHOUSE_PATH": str(warehouse)},
    )
    assert not result.success
    messages = " ".join(str(r.message) for r in result.result.results)
    assert "contract" in messages.lower()
    ((type_name,),) = query(
        warehouse,
        "select data_type from information_schema.columns where table_schema = 'gold' "
        "and table_name = 'daily_revenue_by_state' and column_name = 'total_orders'",
    )
    assert type_name == "BIGINT"  # the published table was left as it was


def test_redshift_target_parses_and_compiles_the_dispatched_sql(tmp_path: Path) -> None:
    env = {
        "OLIST_TARGET": "aws",
        "OLIST_WAREHOUSE_PATH": str(tmp_path / "unused.duckdb"),
        "OLIST_SIM_SCHEMA_VERSION": "1",
    }
    parsed = invoke_dbt(["parse", *dbt_paths(tmp_path)], DBT_PROJECT_DIR, env)
    assert parsed.success, parsed.exception
    manifest = parsed.result
    assert manifest.nodes["model.olist.fct_orders"].config.grants == {"select": ["bi_analyst"]}
    assert manifest.nodes["model.olist.daily_revenue_by_state"].config.contract.enforced

    # Compiling needs no connection when nothing introspects the database.
    compiled = invoke_dbt(
        ["compile", "--select", "tag:batch", "--no-populate-cache", "--no-introspect", *dbt_paths(tmp_path)],
        DBT_PROJECT_DIR,
        env,
    )
    assert compiled.success, compiled.exception
    out = tmp_path / "target" / "compiled" / "olist" / "models"
    delivery = (out / "intermediate" / "int_orders_timed_for_delivery.sql").read_text()
    assert "datediff(day," in delivery and "date_diff(" not in delivery
    assert "generate_series" not in (out / "marts" / "dim_dates.sql").read_text()
    assert "strip_accents" not in (out / "staging" / "olist" / "stg_olist__geolocation.sql").read_text()

    # The simulator's orders: Spectrum's nested navigation (no DuckDB unnest) and the dt partition key.
    realtime = invoke_dbt(
        ["compile", "--select", "stg_sim__order_items", "--no-populate-cache", "--no-introspect", *dbt_paths(tmp_path)],
        DBT_PROJECT_DIR,
        env,
    )
    assert realtime.success, realtime.exception
    sim_items = (out / "staging" / "sim" / "stg_sim__order_items.sql").read_text()
    assert '"bronze_sim_ext"."sim_orders" as o, o.items as i' in sim_items
    assert "unnest(" not in sim_items and "cast(o.dt as date) as arrival_date" in sim_items
    assert "o.schema_version = 1" in sim_items  # Firehose converts unknown versions: staging leaves them out
    assert manifest.nodes["model.olist.stg_sim__order_items"].config.get("bind") is False


def test_local_target_has_no_grants(tmp_path: Path) -> None:
    env = {"OLIST_TARGET": "local", "OLIST_WAREHOUSE_PATH": str(tmp_path / "unused.duckdb")}
    parsed = invoke_dbt(["parse", *dbt_paths(tmp_path)], DBT_PROJECT_DIR, env)
    assert parsed.success, parsed.exception
    assert parsed.result.nodes["model.olist.fct_orders"].config.grants == {}


def test_staging_on_the_real_files(real_data_dir: Path, tmp_path: Path) -> None:
    """Products, sellers, payments and the translation from Kaggle (real bytes), the rest generated."""
    source_dir = write_dataset(tmp_path / "source", 50)
    warehouse = tmp_path / "warehouse.duckdb"
    real = {
        table: real_data_dir / f"{SOURCES_BY_TABLE[table].file_name}.gz"
        for table in ("products", "sellers", "order_payments", "product_category_name_translation")
    }
    load_raw(warehouse, source_dir, overrides=real)
    models = "stg_olist__order_payments stg_olist__sellers int_products_joined_to_categories dim_products dim_sellers"
    result = invoke_dbt(
        [
            "build",
            "--select",
            *models.split(),
            "+int_products_joined_to_categories",
            "--indirect-selection",
            "cautious",
            *dbt_paths(tmp_path),
        ],
        DBT_PROJECT_DIR,
        {"OLIST_TARGET": "local", "OLIST_WAREHOUSE_PATH": str(warehouse)},
    )
    assert result.success, result.exception
    fallback = dict(query(warehouse, "select product_category, count(*) from marts.dim_products group by 1"))
    assert sum(fallback.values()) == 32_951
    assert fallback["unknown"] == 610
    assert fallback["pc_gamer"] > 0 and fallback["portateis_cozinha_e_preparadores_de_alimentos"] > 0
    assert fallback["health_beauty"] > 0
    ((payments, n_sellers, zip_ok),) = query(
        warehouse,
        "select (select sum(payment_value) from staging.stg_olist__order_payments), count(*), "
        "bool_and(length(seller_zip_code_prefix) = 5) from marts.dim_sellers",
    )
    assert payments == Decimal("16008872.12")
    assert n_sellers == 3_095 and zip_ok


def test_every_batch_model_and_column_is_documented(built_warehouse: BuiltWarehouse) -> None:
    manifest = json.loads((built_warehouse.target_path / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and "batch" in n["tags"]]
    assert len(models) >= 30
    problems = []
    for node in models:
        actual = {
            row[0]
            for row in query(
                built_warehouse.warehouse_path,
                f"select column_name from information_schema.columns "
                f"where table_schema = '{node['schema']}' and table_name = '{node['name']}'",
            )
        }
        if not node["description"]:
            problems.append(f"{node['name']}: no description")
        if actual != set(node["columns"]):
            problems.append(f"{node['name']}: columns {sorted(actual ^ set(node['columns']))} not documented as built")
        problems += [f"{node['name']}.{c}: no description" for c, v in node["columns"].items() if not v["description"]]
    assert not problems
    exposure = manifest["exposures"]["exposure.olist.sales_dashboard"]
    gold = {n["unique_id"] for n in models if n["schema"] == "gold"}
    # The exposure lists every table the dashboard reads: the gold marts and realtime.gold_sim.
    read = {f"model.olist.{table.split('.')[1]}" for table in (*BATCH_TABLES, REALTIME_TABLE)}
    assert gold <= read
    assert set(exposure["depends_on"]["nodes"]) == read


def test_portable_default_macros_compute_the_expected_values(tmp_path: Path) -> None:
    """The default__ implementations (the portable SQL beside the Redshift ones) run on DuckDB too, and the
    Redshift on-run-end hook grants usage on the BI schemas of the run only."""
    spine = "olist.default__date_spine(\"cast('2018-01-30' as date)\", \"cast('2018-03-01' as date)\")"
    sql = f"""
        select
            (select count(*) from ({{{{ {spine} }}}}) as s) as spine_days,
            (select max(date_day) from ({{{{ {spine} }}}}) as s) as spine_last,
            {{{{ olist.default__days_between("timestamp '2018-01-01 23:59:00'", "timestamp '2018-01-03 00:01:00'") }}}}
                as days,
            {{{{ olist.default__normalise_text("'  São   JOÃO  '") }}}} as city,
            {{{{ olist.default__month_start("timestamp '2018-02-17 10:00:00'") }}}} as month_start,
            {{{{ olist.default__iso_day_of_week("date '2018-01-07'") }}}} as sunday,
            $${{{{ olist.redshift__grant_bi_schema_usage(['staging', 'marts', 'gold']) }}}}$$ as redshift_grants
    """
    env = {"OLIST_TARGET": "local", "OLIST_WAREHOUSE_PATH": str(tmp_path / "show.duckdb")}
    result = invoke_dbt(["show", "--inline", sql, *dbt_paths(tmp_path)], DBT_PROJECT_DIR, env)
    assert result.success, result.exception
    (row,) = [tuple(r) for r in result.result.results[0].agate_table.rows]
    assert row[:-1] == (31, date(2018, 3, 1), 2, "sao joao", date(2018, 2, 1), 7)
    grants = [line.strip() for line in row[-1].splitlines() if line.strip()]
    assert grants == ["grant usage on schema marts to bi_analyst;", "grant usage on schema gold to bi_analyst;"]


def test_schema_usage_is_granted_on_the_build_schemas_the_publish_swap_renames(tmp_path: Path) -> None:
    """On Redshift the batch builds marts and gold under OLIST_DBT_SCHEMA_SUFFIX; the hook grants usage on those
    names (the grant stays with the schema through the publish rename, which only swaps)."""
    schemas = "['staging', 'marts__build', 'gold__build', 'realtime']"
    sql = f"select $${{{{ olist.redshift__grant_bi_schema_usage({schemas}) }}}}$$ as redshift_grants"
    env = {
        "OLIST_TARGET": "local",
        "OLIST_WAREHOUSE_PATH": str(tmp_path / "show.duckdb"),
        "OLIST_DBT_SCHEMA_SUFFIX": "__build",
    }
    result = invoke_dbt(["show", "--inline", sql, *dbt_paths(tmp_path)], DBT_PROJECT_DIR, env)
    assert result.success, result.exception
    (row,) = [tuple(r) for r in result.result.results[0].agate_table.rows]
    grants = [line.strip() for line in row[0].splitlines() if line.strip()]
    assert grants == [
        "grant usage on schema marts__build to bi_analyst;",
        "grant usage on schema gold__build to bi_analyst;",
        "grant usage on schema realtime to bi_analyst;",
    ]


def test_a_failed_quiet_dbt_command_names_each_failed_test_with_its_count(
    built_warehouse: BuiltWarehouse, tmp_path: Path, monkeypatch
) -> None:
    from olist_dw.dbt_runner import run_dbt
    from olist_dw.errors import UserFacingError
    from olist_dw.settings import Settings
    from olist_dw.targets import get_target

    home = tmp_path / "home"
    home.mkdir()
    warehouse = home / "warehouse.duckdb"
    shutil.copy(built_warehouse.warehouse_path, warehouse)
    wal = built_warehouse.warehouse_path.with_name(built_warehouse.warehouse_path.name + ".wal")
    if wal.exists():
        shutil.copy(wal, warehouse.with_name(warehouse.name + ".wal"))
    con = duckdb.connect(str(warehouse))
    try:
        ((broken,),) = con.execute("select count(*) from marts.fct_order_items where order_item_id = 1").fetchall()
        con.execute("update marts.fct_order_items set product_version_key = null where order_item_id = 1")
    finally:
        con.close()
    assert broken > 0
    monkeypatch.setenv("OLIST_HOME", str(home))
    monkeypatch.setenv("OLIST_TARGET", "local")
    saved_env = dict(os.environ)  # run_dbt exports the profile's variables: restore them afterwards
    try:
        with pytest.raises(UserFacingError) as failure:
            run_dbt(
                ["test", "--select", "fct_order_items", "--log-level", "none", "--log-level-file", "none"]
                + dbt_paths(tmp_path),
                get_target(Settings()),
            )
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    message = str(failure.value)
    assert "test.olist.not_null_fct_order_items_product_version_key." in message
    assert f"Got {broken} result" in message
    assert "seller_version_key" not in message  # the tests that passed are not named


def test_the_local_dbt_builds_duckdb_runs_within_the_memory_limit_setting(olist_home: Path, monkeypatch) -> None:
    from olist_dw.dbt_runner import invoke_dbt as invoke_project_dbt
    from olist_dw.settings import Settings
    from olist_dw.targets import get_target

    monkeypatch.setenv("OLIST_DUCKDB_MEMORY_LIMIT", "700MB")
    saved_env = dict(os.environ)  # invoke_dbt exports the profile's variables: restore them afterwards
    try:
        result = invoke_project_dbt(
            ["show", "--inline", "select current_setting('memory_limit') as memory_limit", *dbt_paths(olist_home)],
            get_target(Settings()),
        )
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    assert result.success, result.exception
    assert result.result.results[0].agate_table.rows[0][0] == "667.5 MiB"  # DuckDB's 700 MB, in MiB
