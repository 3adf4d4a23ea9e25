"""A small serving snapshot with the gold/marts/realtime tables the dashboard reads, with known totals.

Batch: 59 days (2018-01-01 .. 2018-02-28) x 3 states, every day SP 3 orders / R$ 300.00, RJ 2 / R$ 150.50,
MG 1 / R$ 80.25 -> 354 orders, R$ 31,314.25, average ticket R$ 88.46. Delivery (per month, every state):
SP 90 delivered at 95 % on time, RJ 60 at 85 %, MG 30 at 70 % -> 87.5 % on time (weighted).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

FIRST_DAY, LAST_DAY = dt.date(2018, 1, 1), dt.date(2018, 2, 28)
DAILY = {"SP": (3, "300.00"), "RJ": (2, "150.50"), "MG": (1, "80.25")}
DELIVERY = {"SP": (90, 0.95), "RJ": (60, 0.85), "MG": (30, 0.70)}
EXPECTED = {"orders": 354, "revenue": 31_314.25, "average_ticket": 31_314.25 / 354, "on_time_rate": 0.875}
REALTIME_ROWS = [(dt.date(2026, 11, 25), "SP", 7, "812.40"), (dt.date(2026, 11, 25), "BA", 2, "99.90")]


def build_serving_file(path: Path, *, batch: bool = True, realtime: bool = True, realtime_rows=REALTIME_ROWS) -> Path:
    """Write a serving snapshot like the pipeline's publish does (new file, then atomic rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        if batch:
            _batch_tables(con)
        if realtime:
            _realtime_tables(con, realtime_rows)
        con.execute("checkpoint")
    finally:
        con.close()
    tmp.replace(path)
    return path


def _batch_tables(con: duckdb.DuckDBPyConnection) -> None:
    for schema in ("marts", "gold"):
        con.execute(f"create schema {schema}")
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]
    con.execute(
        "create table gold.daily_revenue_by_state(order_date date, customer_state varchar, total_orders bigint, "
        "daily_revenue decimal(18,2))"
    )
    con.executemany(
        "insert into gold.daily_revenue_by_state values (?, ?, ?, ?)",
        [(day, state, orders, revenue) for day in days for state, (orders, revenue) in DAILY.items()],
    )
    con.execute(
        "create table gold.delivery_performance(delivery_month date, customer_state varchar, "
        "delivered_orders bigint, avg_delivery_days double, on_time_rate double)"
    )
    con.executemany(
        "insert into gold.delivery_performance values (?, ?, ?, ?, ?)",
        [
            (month, state, delivered, 8.0 + i, rate)
            for month in (dt.date(2018, 1, 1), dt.date(2018, 2, 1))
            for i, (state, (delivered, rate)) in enumerate(DELIVERY.items())
        ],
    )
    con.execute(
        "create table gold.monthly_category_sales(sales_month date, product_category varchar, total_orders bigint, "
        "items_sold bigint, revenue decimal(18,2))"
    )
    con.executemany(
        "insert into gold.monthly_category_sales values (?, ?, ?, ?, ?)",
        [
            (month, category, 10 * (k + 1), 12 * (k + 1), f"{1000 * (k + 1) + m}.00")
            for m, month in enumerate((dt.date(2018, 1, 1), dt.date(2018, 2, 1)))
            for k, category in enumerate(("bed_bath_table", "health_beauty", "sports_leisure", "toys"))
        ],
    )
    con.execute(
        "create table gold.seller_performance(seller_id varchar, seller_state varchar, total_orders bigint, "
        "items_sold bigint, revenue decimal(18,2), avg_review_score double, late_delivery_rate double)"
    )
    con.executemany(
        "insert into gold.seller_performance values (?, ?, ?, ?, ?, ?, ?)",
        [
            (f"{k:02d}seller{k:024d}", ("SP", "RJ", "MG")[k % 3], 5 + k, 6 + k, f"{500 + 100 * k}.00", 4.1, 0.05 * k)
            for k in range(6)
        ],
    )
    con.execute(
        "create table marts.fct_orders as select 'o' || i as order_id, 'c' || i as customer_id, "
        "'u' || i as customer_unique_id, 'SP' as customer_state, 'delivered' as order_status, "
        "timestamp '2018-01-02 10:00' as purchased_at, date '2018-01-02' as purchase_date, 1 as item_count, "
        "100.00::decimal(18,2) as items_total, 10.00::decimal(18,2) as freight_total, "
        "110.00::decimal(18,2) as payment_total, timestamp '2018-01-09 10:00' as delivered_at, "
        "timestamp '2018-01-20 00:00' as estimated_delivery_at, 7 as delivery_days, false as is_late "
        "from range(3) t(i)"
    )


def _realtime_tables(con: duckdb.DuckDBPyConnection, rows) -> None:
    con.execute("create schema realtime")
    con.execute(
        "create table realtime.gold_sim(order_date date, customer_state varchar, total_orders bigint, "
        "daily_revenue decimal(18,2))"
    )
    if rows:
        con.executemany("insert into realtime.gold_sim values (?, ?, ?, ?)", rows)
    con.execute(
        "create table realtime.fct_items_sold(event_id varchar, order_id varchar, order_item_id integer, "
        "product_id varchar, category varchar, price decimal(12,2), customer_state varchar, purchased_at timestamp)"
    )
