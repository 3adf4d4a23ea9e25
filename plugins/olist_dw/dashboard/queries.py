"""The dashboard's queries: read-only SQL over the published serving snapshot, no Streamlit here.

Every call opens the snapshot read-only (`warehouse.connect_read_only`: each published set file attached
read-only into an in-memory DuckDB), runs, and closes: a connection kept open would pin the sets as they
were when it opened, after the pipeline publishes new ones (docs/architecture.md). The build file
`warehouse.duckdb` is never opened.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from olist_dw.errors import UserFacingError
from olist_dw.settings import get_settings
from olist_dw.warehouse import connect_read_only, snapshot_files, snapshot_signature

BATCH_TABLES = (
    "gold.daily_revenue_by_state",
    "gold.monthly_category_sales",
    "gold.seller_performance",
    "gold.delivery_performance",
)
REALTIME_TABLE = "realtime.gold_sim"

BUILD_HINT = "run `make demo` (or trigger the olist_batch DAG in `make airflow`), then reload this page"
REALTIME_HINT = (
    "run `make demo` (it simulates orders through the real-time path), or unpause the olist_sim_generator, "
    "olist_sim_delivery and olist_realtime DAGs in `make airflow`"
)


class WarehouseNotBuiltError(UserFacingError):
    """The serving snapshot, or the tables a panel needs, have not been published yet."""


class ReadOnlyWarehouseError(UserFacingError):
    """A statement tried to change the serving snapshot, which the dashboard opens read-only."""


def serving_path() -> Path:
    return get_settings().serving_path


# One open connection per process at a time: each connection attaches the set files published when it
# opens, and serialising open-query-close keeps the page's connections from ever mixing two generations.
# Queries here take milliseconds, so dashboard sessions barely wait on each other.
_CONNECTION_LOCK = threading.Lock()


@contextmanager
def read_only_connection(path: Path | None = None):
    """A read-only connection to the current serving snapshot, closed on exit (one per query)."""
    path = path or serving_path()
    with _CONNECTION_LOCK:
        if not snapshot_files(path):
            raise WarehouseNotBuiltError(f"the warehouse has not been built yet (no snapshot at {path}): {BUILD_HINT}")
        con = connect_read_only(path)
        try:
            yield con
        finally:
            con.close()


def run_sql(sql: str, params: Sequence | None = None, path: Path | None = None) -> pd.DataFrame:
    """Run one SQL statement through a read-only connection and return its rows.

    A write (INSERT, DELETE, CREATE, ...) raises ReadOnlyWarehouseError: the snapshot is published by the
    pipeline only, and DuckDB refuses writes on a file opened read-only.
    """
    with read_only_connection(path) as con:
        try:
            return con.execute(sql, list(params or [])).df()
        except duckdb.Error as err:
            if "read-only" in str(err).lower() or "read only" in str(err).lower():
                raise ReadOnlyWarehouseError(
                    f"the dashboard's connection to {path or serving_path()} is read-only; "
                    f"the pipeline alone writes the warehouse ({err})"
                ) from err
            raise


def snapshot_version(path: Path | None = None) -> tuple[tuple[str, int, int], ...] | None:
    """Identity of the current snapshot (each set file's name, inode, mtime): changes whenever the pipeline
    publishes any set; None before the first publish."""
    return snapshot_signature(path or serving_path())


def missing_tables(tables: Sequence[str], path: Path | None = None) -> list[str]:
    """Which of `tables` ("schema.table") the snapshot lacks; all of them when there is no snapshot."""
    try:
        present = run_sql("select table_schema || '.' || table_name as name from information_schema.tables", path=path)[
            "name"
        ].tolist()
    except WarehouseNotBuiltError:
        return list(tables)
    return [t for t in tables if t not in set(present)]


def _state_clause(column: str, states: Sequence[str]) -> tuple[str, list]:
    """SQL condition (with its parameters) keeping `states`; no condition when empty (all states)."""
    if not states:
        return "", []
    return f" and {column} in ({', '.join('?' for _ in states)})", list(states)


@dataclass(frozen=True)
class Filters:
    """The page's filters: an inclusive date range and the customer states (empty = all states)."""

    start: dt.date
    end: dt.date
    states: tuple[str, ...] = ()

    def state_clause(self, column: str) -> tuple[str, list]:
        return _state_clause(column, self.states)

    @property
    def first_month(self) -> dt.date:
        return self.start.replace(day=1)


def date_bounds(path: Path | None = None) -> tuple[dt.date, dt.date] | None:
    """First and last order date of the batch tables (None when they hold no rows)."""
    row = run_sql("select min(order_date), max(order_date) from gold.daily_revenue_by_state", path=path).iloc[0]
    if pd.isna(row.iloc[0]):
        return None
    return pd.Timestamp(row.iloc[0]).date(), pd.Timestamp(row.iloc[1]).date()


def customer_states(path: Path | None = None) -> list[str]:
    return run_sql(
        "select distinct customer_state from gold.daily_revenue_by_state where customer_state is not null order by 1",
        path=path,
    )["customer_state"].tolist()


def kpis(filters: Filters, path: Path | None = None) -> dict[str, float | None]:
    """Headline figures: orders, revenue, average ticket (revenue per order), on-time delivery rate.

    On-time rate is weighted by delivered orders over the months the date range touches (the delivery
    table is monthly).
    """
    state_sql, state_params = filters.state_clause("customer_state")
    sales = run_sql(
        "select coalesce(sum(total_orders), 0) as orders, coalesce(sum(daily_revenue), 0) as revenue "
        f"from gold.daily_revenue_by_state where order_date between ? and ?{state_sql}",
        [filters.start, filters.end, *state_params],
        path=path,
    ).iloc[0]
    delivery = run_sql(
        "select sum(on_time_rate * delivered_orders) / nullif(sum(delivered_orders), 0) as on_time_rate "
        f"from gold.delivery_performance where delivery_month between ? and ?{state_sql}",
        [filters.first_month, filters.end, *state_params],
        path=path,
    ).iloc[0]
    orders, revenue = int(sales["orders"]), float(sales["revenue"])
    on_time = delivery["on_time_rate"]
    return {
        "orders": orders,
        "revenue": revenue,
        "average_ticket": revenue / orders if orders else None,
        "on_time_rate": None if pd.isna(on_time) else float(on_time),
    }


def daily_revenue_by_state(filters: Filters, path: Path | None = None) -> pd.DataFrame:
    state_sql, state_params = filters.state_clause("customer_state")
    return run_sql(
        "select order_date, customer_state, total_orders, daily_revenue::double as daily_revenue "
        f"from gold.daily_revenue_by_state where order_date between ? and ?{state_sql} order by 1, 2",
        [filters.start, filters.end, *state_params],
        path=path,
    )


def revenue_by_state(filters: Filters, path: Path | None = None) -> pd.DataFrame:
    """Totals per state over the range: what the Brazil state view colours."""
    state_sql, state_params = filters.state_clause("customer_state")
    return run_sql(
        "select customer_state, sum(total_orders) as total_orders, sum(daily_revenue)::double as revenue "
        f"from gold.daily_revenue_by_state where order_date between ? and ?{state_sql} "
        "group by 1 order by revenue desc",
        [filters.start, filters.end, *state_params],
        path=path,
    )


def monthly_category_sales(filters: Filters, top: int = 8, path: Path | None = None) -> pd.DataFrame:
    """Monthly revenue of the `top` categories of the range (the table has no state: all states)."""
    return run_sql(
        "with ranged as (select * from gold.monthly_category_sales where sales_month between ? and ?), "
        "top as (select product_category from ranged group by 1 order by sum(revenue) desc limit ?) "
        "select sales_month, product_category, total_orders, items_sold, revenue::double as revenue "
        "from ranged where product_category in (select product_category from top) order by 1, 2",
        [filters.first_month, filters.end, top],
        path=path,
    )


def seller_performance(filters: Filters, limit: int = 20, path: Path | None = None) -> pd.DataFrame:
    """Top sellers by revenue (all time: the table has no date), filtered by the sellers' state."""
    state_sql, state_params = filters.state_clause("seller_state")
    return run_sql(
        "select seller_id, seller_state, total_orders, items_sold, revenue::double as revenue, "
        f"avg_review_score, late_delivery_rate from gold.seller_performance where true{state_sql} "
        "order by revenue desc limit ?",
        [*state_params, limit],
        path=path,
    )


def delivery_performance(filters: Filters, path: Path | None = None) -> pd.DataFrame:
    """Per month: delivered orders, average delivery days and on-time rate (weighted over the states)."""
    state_sql, state_params = filters.state_clause("customer_state")
    return run_sql(
        "select delivery_month, sum(delivered_orders) as delivered_orders, "
        "sum(avg_delivery_days * delivered_orders) / nullif(sum(delivered_orders), 0) as avg_delivery_days, "
        "sum(on_time_rate * delivered_orders) / nullif(sum(delivered_orders), 0) as on_time_rate "
        f"from gold.delivery_performance where delivery_month between ? and ?{state_sql} group by 1 order by 1",
        [filters.first_month, filters.end, *state_params],
        path=path,
    )


def realtime_summary(states: Sequence[str] = (), path: Path | None = None) -> pd.DataFrame:
    """The simulator's orders per day and state, from realtime.gold_sim (latest day first)."""
    state_sql, state_params = _state_clause("customer_state", states)
    return run_sql(
        "select order_date, customer_state, total_orders, daily_revenue::double as daily_revenue "
        f"from realtime.gold_sim where true{state_sql} order by order_date desc, daily_revenue desc",
        state_params,
        path=path,
    )
