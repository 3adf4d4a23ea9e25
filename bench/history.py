"""History benchmark: one small micro-batch (dbt realtime build + publish) with more and more history.

For each size (items already in realtime.fct_items_sold) in a fresh OLIST_HOME, in process (no Airflow):

1. marts and gold of about SF1 size (--marts-mb; 156 MB is the SF1 serving file) are published into the
   serving snapshot, as the batch would. They are synthetic (wide rows of random ids): a publish copies
   bytes, whatever the columns mean, and the realtime path never reads them;
2. the simulator seeds its shop, one micro-batch creates the realtime tables, then `size` items are
   inserted into the build's fct_items_sold (arrivals spread over the year before the lookback window,
   gold_sim recomputed to match, so every dbt test holds) and published once;
3. --repeats times: one tick of --orders orders (OLIST_SIM_ORDERS_MIN/MAX), delivery to the lake
   (not timed), then timed: `dbt build --select tag:realtime` (what olist_realtime runs, in process) and
   the target's `publish_realtime()` in a process of its own (a task process; timed inside it, after its
   imports). The median of the repeats is printed.

Then the ratio largest/smallest history, for the micro-batch's wall time and for publish alone (target:
<= 1.3). The same script runs at any commit that has `Target.publish_realtime` (for before/after).

    .venv/bin/python bench/history.py [--sizes 10000,100000,1000000] [--marts-mb 156] [--orders 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "olist-real"

# Items of the synthetic history: the columns of fct_items_sold, ids as wide as the simulator's.
HISTORY_SQL = """
insert into realtime.fct_items_sold by name
select
    md5('e' || i) || '-1' as event_item_key,
    md5('e' || i) as event_id,
    md5('o' || i) as order_id,
    1 as order_item_id,
    md5('p' || (i % 30000)) as product_id,
    'category_' || (i % 70) as product_category,
    cast(10 + (i % 500) as decimal(12, 2)) as price,
    md5('c' || i) as customer_id,
    md5('u' || i) as customer_unique_id,
    'city ' || (i % 4000) as customer_city,
    (['SP', 'RJ', 'MG', 'RS', 'PR', 'BA', 'SC'])[1 + i % 7] as customer_state,
    lpad(cast(i % 99999 as varchar), 5, '0') as customer_zip_code_prefix,
    cast(arrival as timestamp) + to_seconds(i % 86400) as purchased_at,
    arrival as purchase_date,
    cast(arrival as timestamp) as produced_at,
    1 as schema_version,
    arrival as arrival_date,
    cast(arrival as timestamp) as _loaded_at
from (
    select i, cast(? as date) - cast(1 + (i * 365) // ? as integer) as arrival from range(?) as t(i)
)
"""

GOLD_SIM_SQL = """
create or replace table realtime.gold_sim as
select
    purchase_date as order_date,
    customer_state,
    count(distinct order_id) as total_orders,
    cast(sum(price) as decimal(18, 2)) as daily_revenue,
    max(_loaded_at) as _silver_loaded_at
from realtime.fct_items_sold
group by purchase_date, customer_state
"""


def products_source(folder: Path) -> Path:
    if (REAL_DATA / "olist_products_dataset.csv.gz").exists():
        return REAL_DATA
    sys.path.insert(0, str(ROOT))
    from tests.sim.conftest import write_products  # a synthetic products file, as in the tests

    write_products(folder, 30_000)
    return folder


def publish_synthetic_marts(settings, marts_mb: int) -> float:
    """Build marts+gold of about `marts_mb` MB in the build file and publish them; returns the file's MB."""
    from olist_dw.batch.publish import publish_local
    from olist_dw.warehouse import connect_for_write

    rows = marts_mb * 1_000_000 // 92  # ~92 bytes per row of five random ids once stored (measured)
    con = connect_for_write(settings.warehouse_path)
    con.execute("create schema marts")
    con.execute("create schema gold")
    con.execute(
        "create table marts.fct_order_items as select md5('o' || i) as order_id, md5('p' || i) as product_id, "
        "md5('s' || i) as seller_id, md5('c' || i) as customer_id, md5('r' || i) as review_id, "
        f"cast(i % 1000 as decimal(12, 2)) as price from range({rows}) as t(i)"
    )
    con.execute("create table gold.daily_revenue_by_state as select 1 as n")
    con.close()
    publish_local(settings.warehouse_path, settings.serving_path)
    return sum(p.stat().st_size for p in settings.serving_path.parent.glob("*.duckdb")) / 1e6


def micro_batch(settings, target) -> tuple[float, float]:
    """One tick, its delivery (not timed), then the realtime dbt build and publish: (wall s, publish s)."""
    from olist_dw.dbt_runner import release_in_process_dbt_duckdb, run_dbt
    from olist_dw.sim import tick

    store, stream = target.state_store(), target.stream()
    tick(store, stream, settings)
    with target.delivery() as delivery:
        delivery.drain()
    started = time.perf_counter()
    try:
        run_dbt(["build", "--select", "tag:realtime", "--quiet"], target)
    finally:
        release_in_process_dbt_duckdb()
    dbt_seconds = time.perf_counter() - started
    publish_seconds = publish_in_a_task_process()
    return dbt_seconds + publish_seconds, publish_seconds


def publish_in_a_task_process() -> float:
    """`publish_realtime()` timed in a process of its own, as Airflow runs the task: in this process it would
    also pay for collecting the garbage of the in-process dbt run (release_in_process_dbt_duckdb)."""
    code = (
        "import time; from olist_dw.settings import get_settings; from olist_dw.targets import get_target; "
        "import duckdb, olist_dw.warehouse; target = get_target(get_settings()); "
        "started = time.perf_counter(); target.publish_realtime(); print(time.perf_counter() - started)"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=os.environ)
    return float(done.stdout.strip().splitlines()[-1])


def seed_history(settings, target, items: int) -> None:
    import duckdb

    from olist_dw.warehouse import fetch_row

    con = duckdb.connect(str(settings.warehouse_path))
    try:
        today = fetch_row(con, "select coalesce(max(arrival_date), current_date) from realtime.fct_items_sold")
        lookback = 1 + 1  # realtime_lookback_days + 1: the whole history lies before the window
        first = today[0] - dt.timedelta(days=lookback)
        con.execute(HISTORY_SQL, [first, items, items])
        con.execute(GOLD_SIM_SQL)
    finally:
        con.close()
    target.publish_realtime()


def run_size(items: int, args, products: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="olist-bench-history-") as tmp:
        home = Path(tmp) / "home"
        os.environ.update(
            OLIST_HOME=str(home),
            OLIST_TARGET="local",
            OLIST_SOURCE_DIR=str(products),
            OLIST_SIM_ORDERS_MIN=str(args.orders),
            OLIST_SIM_ORDERS_MAX=str(args.orders),
            DBT_TARGET_PATH=str(Path(tmp) / "dbt-target"),
            DBT_LOG_PATH=str(Path(tmp) / "dbt-logs"),
        )
        from olist_dw.settings import get_settings
        from olist_dw.sim import reset
        from olist_dw.targets import get_target

        settings = get_settings()
        target = get_target(settings)
        marts_mb = publish_synthetic_marts(settings, args.marts_mb)
        reset(target.state_store(), settings)
        micro_batch(settings, target)  # creates the realtime tables
        seed_history(settings, target, items)
        micro_batch(settings, target)  # warm: dbt's partial parse, the OS cache
        walls, publishes = [], []
        for _ in range(args.repeats):
            wall, publish = micro_batch(settings, target)
            walls.append(wall)
            publishes.append(publish)
        import duckdb

        from olist_dw.warehouse import connect_read_only, fetch_row

        with connect_read_only(settings.serving_path) as con:
            published = fetch_row(con, "select count(*) from realtime.fct_items_sold")[0]
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            built = fetch_row(con, "select count(*) from realtime.fct_items_sold")[0]
        assert published == built, f"published {published} items, the build has {built}"
        serving_mb = sum(p.stat().st_size for p in settings.serving_path.parent.rglob("*") if p.is_file()) / 1e6
        return {
            "items": items,
            "published": published,
            "marts_mb": marts_mb,
            "serving_mb": serving_mb,
            "wall": statistics.median(walls),
            "publish": statistics.median(publishes),
            "walls": walls,
            "publishes": publishes,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="items already in fct_items_sold")
    parser.add_argument("--marts-mb", type=int, default=156, help="size of the published marts (SF1: 156)")
    parser.add_argument("--orders", type=int, default=100, help="orders of the micro-batch")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    import olist_dw

    print(f"olist_dw from {Path(olist_dw.__file__).parent}")
    with tempfile.TemporaryDirectory(prefix="olist-bench-products-") as products_tmp:
        products = products_source(Path(products_tmp))
        results = []
        for size in (int(s) for s in args.sizes.split(",")):
            result = run_size(size, args, products)
            results.append(result)
            runs = ", ".join(f"{w:.2f}" for w in result["walls"])
            publish_runs = ", ".join(f"{p:.3f}" for p in result["publishes"])
            print(
                f"history {result['items']:>9,} items ({result['published']:,} published), "
                f"marts {result['marts_mb']:.0f} MB, serving {result['serving_mb']:.0f} MB: "
                f"micro-batch {result['wall']:.2f} s, publish {result['publish']:.3f} s "
                f"(runs: {runs} / {publish_runs})",
                flush=True,
            )
    smallest, largest = results[0], results[-1]
    print(
        f"ratio largest/smallest history: micro-batch {largest['wall'] / smallest['wall']:.2f}x, "
        f"publish {largest['publish'] / smallest['publish']:.2f}x (target <= 1.3)"
    )


if __name__ == "__main__":
    main()
