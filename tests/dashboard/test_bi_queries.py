"""The dashboard's query layer: read-only access, not-built errors, figures matching the fixture."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from olist_dw.dashboard import charts, queries
from olist_dw.dashboard.brazil import STATE_NAMES, states_geojson
from tests.dashboard.bi_fixture import DAILY, EXPECTED, FIRST_DAY, LAST_DAY, REALTIME_ROWS, build_serving_file

ALL = queries.Filters(FIRST_DAY, LAST_DAY)


@pytest.mark.parametrize(
    "statement",
    [
        "insert into gold.daily_revenue_by_state values (date '2018-03-01', 'SP', 1, 1.00)",
        "delete from gold.daily_revenue_by_state",
        "create table gold.sneaky(x int)",
    ],
)
def test_a_write_through_the_read_only_connection_fails_clearly(serving_file: Path, statement: str) -> None:
    with pytest.raises(queries.ReadOnlyWarehouseError, match="read-only"):
        queries.run_sql(statement)
    assert queries.kpis(ALL)["orders"] == EXPECTED["orders"]  # nothing changed


def test_no_snapshot_says_what_to_run(olist_home: Path) -> None:
    with pytest.raises(queries.WarehouseNotBuiltError, match="make demo"):
        queries.run_sql("select 1")
    assert queries.missing_tables(queries.BATCH_TABLES) == list(queries.BATCH_TABLES)
    assert queries.snapshot_version() is None


def test_missing_realtime_schema_is_reported(olist_home: Path) -> None:
    from olist_dw.settings import get_settings

    build_serving_file(get_settings().serving_path, realtime=False)
    assert queries.missing_tables(queries.BATCH_TABLES) == []
    assert queries.missing_tables([queries.REALTIME_TABLE]) == [queries.REALTIME_TABLE]


def test_kpis_match_the_fixture(serving_file: Path) -> None:
    k = queries.kpis(ALL)
    assert k["orders"] == EXPECTED["orders"]
    assert k["revenue"] == pytest.approx(EXPECTED["revenue"])
    assert k["average_ticket"] == pytest.approx(EXPECTED["average_ticket"])
    assert k["on_time_rate"] == pytest.approx(EXPECTED["on_time_rate"])


def test_filters_by_state_and_date(serving_file: Path) -> None:
    one_day = queries.Filters(dt.date(2018, 1, 10), dt.date(2018, 1, 10), ("RJ",))
    k = queries.kpis(one_day)
    assert k["orders"] == DAILY["RJ"][0]
    assert k["revenue"] == pytest.approx(float(DAILY["RJ"][1]))
    assert k["on_time_rate"] == pytest.approx(0.85)
    by_state = queries.revenue_by_state(queries.Filters(FIRST_DAY, dt.date(2018, 1, 31), ("SP", "MG")))
    assert by_state["customer_state"].tolist() == ["SP", "MG"]
    assert by_state["total_orders"].tolist() == [3 * 31, 1 * 31]
    empty = queries.kpis(queries.Filters(dt.date(2019, 1, 1), dt.date(2019, 1, 31)))
    assert empty == {"orders": 0, "revenue": 0.0, "average_ticket": None, "on_time_rate": None}


def test_panel_queries_return_the_gold_rows(serving_file: Path) -> None:
    assert len(queries.daily_revenue_by_state(ALL)) == 59 * 3
    categories = queries.monthly_category_sales(ALL, top=2)
    assert sorted(categories["product_category"].unique()) == ["sports_leisure", "toys"]  # the two largest
    sellers = queries.seller_performance(queries.Filters(FIRST_DAY, LAST_DAY, ("SP",)))
    assert set(sellers["seller_state"]) == {"SP"} and sellers["revenue"].is_monotonic_decreasing
    delivery = queries.delivery_performance(ALL)
    assert delivery["on_time_rate"].tolist() == pytest.approx([0.875, 0.875])
    live = queries.realtime_summary()
    assert live["total_orders"].sum() == sum(r[2] for r in REALTIME_ROWS)
    assert queries.realtime_summary(("BA",))["customer_state"].tolist() == ["BA"]
    assert queries.date_bounds() == (FIRST_DAY, LAST_DAY)
    assert queries.customer_states() == ["MG", "RJ", "SP"]


def test_a_new_snapshot_is_seen_without_restarting(serving_file: Path) -> None:
    before = queries.snapshot_version()
    assert queries.realtime_summary()["total_orders"].sum() == 9
    build_serving_file(serving_file, realtime_rows=[(dt.date(2026, 11, 25), "SP", 40, "4000.00")])
    assert queries.snapshot_version() != before
    assert queries.realtime_summary()["total_orders"].sum() == 40


def test_a_reader_holding_the_old_snapshot_does_not_hide_the_new_one(serving_file: Path) -> None:
    # DuckDB shares one instance per path while a connection is open: another dashboard session still
    # reading the old snapshot must not make this query read it too.
    opened, release = threading.Event(), threading.Event()

    def slow_reader() -> None:
        with queries.read_only_connection():
            opened.set()
            release.wait(5)

    reader = threading.Thread(target=slow_reader)
    reader.start()
    assert opened.wait(5)
    build_serving_file(serving_file, realtime_rows=[(dt.date(2026, 11, 25), "SP", 40, "4000.00")])
    threading.Timer(0.3, release.set).start()
    assert queries.realtime_summary()["total_orders"].sum() == 40
    reader.join(5)


def test_the_build_warehouse_is_never_opened(serving_file: Path) -> None:
    from olist_dw.settings import get_settings

    queries.kpis(ALL)
    assert not get_settings().warehouse_path.exists()


def test_state_shapes_cover_brazil() -> None:
    features = {f["id"]: f for f in states_geojson()["features"]}
    assert sorted(features) == sorted(STATE_NAMES)

    def contains(ring: list[list[float]], lon: float, lat: float) -> bool:
        inside = False
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside

    def polygons(feature):
        geometry = feature["geometry"]
        return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]

    # Inland cities: São Paulo, Feira de Santana, Manaus, Santa Maria.
    cities = {"SP": (-46.63, -23.55), "BA": (-38.97, -12.27), "AM": (-60.02, -3.10), "RS": (-53.81, -29.69)}
    for state, (lon, lat) in cities.items():
        assert any(contains(p[0], lon, lat) for p in polygons(features[state])), state
        assert not any(contains(p[0], lon, lat) for p in polygons(features["MG"])), state


def test_figures_build_for_data_and_for_empty_results(serving_file: Path) -> None:
    fig = charts.state_map(queries.revenue_by_state(ALL))
    shown = dict(zip(fig.data[0].locations, fig.data[0].z, strict=True))
    assert fig.data[0].type == "choropleth" and len(shown) == 27
    assert shown["SP"] == pytest.approx(300.0 * 59) and shown["BA"] == 0
    assert charts.PLOTLY_CONFIG["topojsonURL"].startswith("app/static/")
    empty = queries.Filters(dt.date(2019, 1, 1), dt.date(2019, 1, 2))
    for build, query in [
        (charts.daily_revenue, queries.daily_revenue_by_state),
        (charts.state_map, queries.revenue_by_state),
        (charts.delivery_performance, queries.delivery_performance),
    ]:
        assert build(query(empty)).layout.annotations, build.__name__
