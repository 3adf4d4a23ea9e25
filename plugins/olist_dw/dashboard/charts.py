"""Plotly figures of the dashboard, built from the query results (pure functions, no Streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from olist_dw.dashboard.brazil import STATE_NAMES, states_geojson

# plotly.js fetches a geo chart's base map from a CDN by default; the page serves the shipped copy instead
# (Streamlit static serving, relative to the page so that a base URL path keeps working).
PLOTLY_CONFIG = {"displaylogo": False, "topojsonURL": "app/static/topojson/"}


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False, height=320)
    return fig


def _month_ticks(fig: go.Figure, months: pd.Series) -> None:
    """One tick per month on short ranges, per quarter on long ones (labels stay readable)."""
    span = months.nunique() if len(months) else 0
    fig.update_xaxes(dtick="M1" if span <= 12 else "M3", tickformat="%b %Y")


def daily_revenue(df: pd.DataFrame, top_states: int = 8) -> go.Figure:
    """Revenue over time stacked by state (the `top_states` largest; the rest summed as "other").

    Daily over ranges up to three months; weekly beyond, where daily points of 27 states are only noise.
    """
    if df.empty:
        return _empty("Revenue by state", "no orders in the selected range")
    dates = pd.to_datetime(df["order_date"])
    weekly = (dates.max() - dates.min()).days > 92
    top = df.groupby("customer_state")["daily_revenue"].sum().nlargest(top_states).index
    shown = df.assign(
        state=df["customer_state"].where(df["customer_state"].isin(top), "other"),
        period=dates.dt.to_period("W-SUN").dt.start_time if weekly else dates,
    )
    order = [*top, "other"]
    shown = shown.groupby(["period", "state"], as_index=False)["daily_revenue"].sum()
    fig = px.area(
        shown,
        x="period",
        y="daily_revenue",
        color="state",
        category_orders={"state": order},
        title="Weekly revenue by state" if weekly else "Daily revenue by state",
        labels={"period": "week" if weekly else "day", "daily_revenue": "revenue (R$)", "state": "state"},
    )
    fig.update_traces(line_width=0.5)
    fig.update_layout(height=400, legend_title_text="", hovermode="x unified")
    return fig


def state_map(df: pd.DataFrame) -> go.Figure:
    """Brazil state view: a choropleth of revenue per state on the shipped base map."""
    title = "Revenue by state"
    if df.empty:
        return _empty(title, "no orders in the selected range")
    # Every state is drawn (no sales = 0) so that the borders of all 27 show; the scale starts at 0.
    every_state = pd.DataFrame({"customer_state": sorted(STATE_NAMES)})
    shown = every_state.merge(df, on="customer_state", how="outer").fillna({"revenue": 0.0, "total_orders": 0})
    shown = shown.assign(name=shown["customer_state"].map(STATE_NAMES).fillna(shown["customer_state"]))
    fig = go.Figure(
        go.Choropleth(
            geojson=states_geojson(),
            featureidkey="id",
            locations=shown["customer_state"],
            z=shown["revenue"],
            text=shown["name"],
            customdata=shown[["total_orders"]],
            colorscale="Blues",
            zmin=0,
            marker_line_color="#7f7f7f",
            marker_line_width=0.5,
            colorbar_title="R$",
            hovertemplate="%{text} (%{location})<br>revenue R$ %{z:,.2f}<br>orders %{customdata[0]:,}<extra></extra>",
        )
    )
    fig.update_geos(
        scope="south america",
        resolution=50,
        # Brazil's extent (every state shape), not the data's: one selected state still shows where it lies.
        fitbounds="geojson",
        showcountries=True,
        countrycolor="#bbbbbb",
        showland=True,
        landcolor="#f4f4f4",
        showocean=False,
        showlakes=False,
        showframe=False,
        projection_type="mercator",
    )
    fig.update_layout(title=title, height=440, margin={"l": 0, "r": 0, "t": 40, "b": 0})
    return fig


def category_trends(df: pd.DataFrame) -> go.Figure:
    title = "Monthly sales of the top categories"
    if df.empty:
        return _empty(title, "no category sales in the selected range")
    fig = px.line(
        df,
        x="sales_month",
        y="revenue",
        color="product_category",
        markers=True,
        title=title,
        labels={"sales_month": "month", "revenue": "revenue (R$)", "product_category": "category"},
    )
    fig.update_layout(height=380, legend_title_text="")
    _month_ticks(fig, df["sales_month"])
    return fig


def seller_performance(df: pd.DataFrame) -> go.Figure:
    """Top sellers: revenue (bar length) and late-delivery rate (colour)."""
    title = "Top sellers by revenue"
    if df.empty:
        return _empty(title, "no sellers for the selected states")
    shown = df.assign(seller=df["seller_id"].str[:8] + " (" + df["seller_state"].fillna("?") + ")")
    fig = px.bar(
        shown.iloc[::-1],
        x="revenue",
        y="seller",
        orientation="h",
        color="late_delivery_rate",
        color_continuous_scale="RdYlGn_r",
        range_color=(0, max(0.3, float(shown["late_delivery_rate"].max() or 0))),
        hover_data={"total_orders": True, "items_sold": True, "avg_review_score": ":.2f"},
        title=title,
        labels={"revenue": "revenue (R$)", "seller": "", "late_delivery_rate": "late rate"},
    )
    fig.update_layout(height=480)
    return fig


def delivery_performance(df: pd.DataFrame) -> go.Figure:
    """Monthly on-time rate (line, left axis) and average delivery days (bars, right axis)."""
    title = "Delivery performance"
    if df.empty:
        return _empty(title, "no delivered orders in the selected range")
    fig = go.Figure()
    fig.add_bar(x=df["delivery_month"], y=df["avg_delivery_days"], name="avg delivery days", yaxis="y2", opacity=0.45)
    fig.add_scatter(x=df["delivery_month"], y=df["on_time_rate"], name="on-time rate", mode="lines+markers")
    fig.update_layout(
        title=title,
        height=380,
        yaxis={"title": "on-time rate", "tickformat": ".0%", "range": [0, 1.05]},
        yaxis2={"title": "days", "overlaying": "y", "side": "right", "showgrid": False},
        legend={"orientation": "h", "y": -0.25},
    )
    _month_ticks(fig, df["delivery_month"])
    return fig


def realtime_revenue(df: pd.DataFrame) -> go.Figure:
    """Simulated revenue per day, stacked by state."""
    title = "Simulated orders: revenue per day"
    if df.empty:
        return _empty(title, "no simulated orders yet")
    fig = px.bar(
        df.sort_values("order_date"),
        x="order_date",
        y="daily_revenue",
        color="customer_state",
        title=title,
        labels={"order_date": "day", "daily_revenue": "revenue (R$)", "customer_state": "state"},
    )
    fig.update_layout(height=340, legend_title_text="")
    fig.update_xaxes(dtick=86_400_000, tickformat="%Y-%m-%d")
    return fig
