"""The dashboard: `make dashboard` (or `streamlit run plugins/olist_dw/dashboard/app.py`), two pages.

"Sales" (here, the default page) reads only the published serving snapshot, read-only, through
`olist_dw.dashboard.queries`. Query results are cached per snapshot version, so a new publish is picked up
on the next rerun without reconnect tricks. "Data health" (health_page.py) shows the pipeline's runs, dbt
tests, quarantine, dead letters, gold_sim's freshness and alerts, read-only too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from olist_dw.dashboard import charts, queries
from olist_dw.settings import get_settings


@st.cache_data(show_spinner=False, max_entries=256)
def _cached(query: str, start: dt.date, end: dt.date, states: tuple[str, ...], version: tuple | None):
    # `version` is only part of the cache key: a new snapshot means new results.
    return getattr(queries, query)(queries.Filters(start, end, states))


def _money(value: float | None) -> str:
    if value is None:
        return "–"
    # Millions in short form: the full figure does not fit a quarter-width metric.
    return f"R$ {value / 1e6:,.2f} M" if abs(value) >= 1e6 else f"R$ {value:,.2f}"


def not_built_message(missing: list[str]) -> None:
    """What the user sees before the pipeline has published: what to run, no stack trace."""
    path = queries.serving_path()
    st.warning("The warehouse has not been built yet, so there is nothing to show.", icon=":material/construction:")
    if path.exists():
        st.markdown(f"The snapshot `{path}` exists but lacks: " + ", ".join(f"`{t}`" for t in missing))
    else:
        st.markdown(f"No published snapshot at `{path}`.")
    st.markdown("Build it, then this page updates by itself:")
    st.code("make demo", language="bash")
    st.markdown("or trigger the `olist_batch` DAG in the Airflow UI (`make airflow`, http://localhost:8080).")


def docs_link() -> None:
    """Where the tables come from: a link to the dbt docs, once `make docs` has built them."""
    from olist_dw.docs_site import docs_built, docs_url

    settings = get_settings()
    if docs_built(settings):
        st.sidebar.caption(f"[dbt docs: models, columns, lineage]({docs_url(settings)}) (served by `make docs`)")


def filters_sidebar() -> queries.Filters:
    bounds = queries.date_bounds() or (dt.date.today(), dt.date.today())
    st.sidebar.header("Filters")
    picked = st.sidebar.date_input(
        "Order dates", value=bounds, min_value=bounds[0], max_value=bounds[1], format="YYYY-MM-DD"
    )
    # While the user is picking a range the widget holds one date only.
    start, end = (picked[0], picked[-1]) if isinstance(picked, tuple | list) and picked else bounds
    states = st.sidebar.multiselect("Customer states", queries.customer_states(), placeholder="all states")
    st.sidebar.caption(f"Snapshot: `{queries.serving_path()}` (read-only)")
    docs_link()
    return queries.Filters(start, end, tuple(sorted(states)))


def headline(f: queries.Filters, version) -> None:
    k = _cached("kpis", f.start, f.end, f.states, version)
    cols = st.columns(4)
    cols[0].metric("Orders", f"{k['orders']:,}")
    cols[1].metric("Revenue", _money(k["revenue"]), help=f"R$ {k['revenue']:,.2f}")
    cols[2].metric("Average ticket", _money(k["average_ticket"]))
    cols[3].metric("On-time delivery", "–" if k["on_time_rate"] is None else f"{k['on_time_rate']:.1%}")


def batch_panels(f: queries.Filters, version) -> None:
    def chart(fig, key: str) -> None:
        st.plotly_chart(fig, width="stretch", config=charts.PLOTLY_CONFIG, key=key)

    sales, geo = st.columns([3, 2])
    with sales:
        chart(charts.daily_revenue(_cached("daily_revenue_by_state", f.start, f.end, f.states, version)), "daily")
    with geo:
        chart(charts.state_map(_cached("revenue_by_state", f.start, f.end, f.states, version)), "map")

    st.subheader("Category trends")
    chart(charts.category_trends(_cached("monthly_category_sales", f.start, f.end, f.states, version)), "categories")
    st.caption("Categories are sold in every state: this chart follows the date range only.")

    sellers, delivery = st.columns(2)
    with sellers:
        st.subheader("Sellers")
        chart(charts.seller_performance(_cached("seller_performance", f.start, f.end, f.states, version)), "sellers")
        st.caption("All-time figures, filtered by the seller's state.")
    with delivery:
        st.subheader("Delivery")
        chart(charts.delivery_performance(_cached("delivery_performance", f.start, f.end, f.states, version)), "deliv")
        st.caption("Months of delivery within the date range.")


@st.fragment(run_every=get_settings().dashboard_refresh_seconds)
def live_panel(states: tuple[str, ...]) -> None:
    """Re-reads realtime.gold_sim every few seconds (a fresh read-only connection each time)."""
    st.subheader("Live: simulated orders")
    if queries.missing_tables([queries.REALTIME_TABLE]):
        st.info(f"No real-time tables published yet: {queries.REALTIME_HINT}.", icon=":material/hourglass_empty:")
        return
    df = queries.realtime_summary(states)
    latest = df["order_date"].max() if not df.empty else None
    today = df[df["order_date"] == latest] if latest is not None else df
    cols = st.columns(3)
    cols[0].metric("Simulated orders (all days)", f"{int(df['total_orders'].sum()):,}")
    day_label = f"Orders on {pd.Timestamp(latest):%Y-%m-%d}" if latest is not None else "Orders on the latest day"
    cols[1].metric(day_label, f"{int(today['total_orders'].sum()):,}")
    cols[2].metric("Revenue that day", _money(float(today["daily_revenue"].sum())))
    st.plotly_chart(charts.realtime_revenue(df), width="stretch", config=charts.PLOTLY_CONFIG, key="live")
    st.caption(
        f"Refreshed {dt.datetime.now():%H:%M:%S} every {get_settings().dashboard_refresh_seconds:g} s; "
        "state filter applies, date range does not (the simulator runs on its own clock)."
    )


@st.fragment(run_every=get_settings().dashboard_refresh_seconds)
def wait_for_build(missing: list[str]) -> None:
    """Shows what to run, and reloads the page as soon as the pipeline has published the tables."""
    if not queries.missing_tables(queries.BATCH_TABLES):
        st.rerun()
    not_built_message(missing)


def sales_page() -> None:
    st.title("Olist sales analysis")
    missing = queries.missing_tables(queries.BATCH_TABLES)
    if missing:
        wait_for_build(missing)
        if queries.snapshot_version() is not None:  # some set is published (the realtime one may come first)
            live_panel(())
        return
    try:
        version = queries.snapshot_version()
        f = filters_sidebar()
        headline(f, version)
        batch_panels(f, version)
    except (queries.WarehouseNotBuiltError, duckdb.CatalogException) as err:
        # The snapshot changed under us (e.g. replaced by an older layout): say so instead of a trace.
        st.warning(f"The published warehouse cannot be read right now ({err}). {queries.BUILD_HINT}.")
        return
    st.divider()
    live_panel(f.states)


HEALTH_PAGE = Path(__file__).resolve().parent / "health_page.py"


def main() -> None:
    # No page_icon: a material icon favicon is fetched from a font CDN; the bundled default needs nothing.
    st.set_page_config(page_title="Olist sales analysis", layout="wide")
    pages = [
        st.Page(sales_page, title="Sales", url_path="sales", default=True),
        st.Page(HEALTH_PAGE, title="Data health", url_path="health"),
    ]
    st.navigation(pages).run()


main()
