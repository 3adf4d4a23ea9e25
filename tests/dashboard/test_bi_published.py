"""The dashboard in a real browser on a snapshot the pipeline itself published (not a hand-built one), and
while the pipeline publishes again: a renamed gold or realtime column, or a reader caught between two
snapshots, shows up here as an error on the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.dashboard.browser_helpers import ERROR_ELEMENTS, metric_values, serve_dashboard
from tests.dbt.dbt_helpers import dbt_paths
from tests.dbt.raw_fixture import load_raw, write_dataset
from tests.sim.conftest import write_products

pytestmark = pytest.mark.browser

ORDERS = 300


class PublishedHome:
    """An OLIST_HOME where the real steps built and published the batch and the realtime tables."""

    def __init__(self, home: Path):
        from olist_dw.settings import Settings
        from olist_dw.targets import get_target

        self.home = home
        self.settings = Settings()
        self.target = get_target(self.settings)

    def build_batch(self) -> None:
        from olist_dw.batch.publish import publish_local
        from olist_dw.dbt_runner import release_in_process_dbt_duckdb, run_dbt

        load_raw(self.settings.warehouse_path, write_dataset(self.home / "source", ORDERS))
        try:
            run_dbt(["build", "--select", "tag:batch", "--quiet", *dbt_paths(self.home)], self.target)
        finally:
            release_in_process_dbt_duckdb()
        publish_local(self.settings.warehouse_path, self.settings.serving_path)

    def simulate_and_publish_realtime(self, ticks: int) -> None:
        """Ticks of the simulated shop, delivery to the lake, the realtime dbt build, the realtime publish."""
        from olist_dw.dbt_runner import release_in_process_dbt_duckdb, run_dbt
        from olist_dw.sim import tick
        from olist_dw.sim.runs import ensure_initialised

        store, stream = self.target.state_store(), self.target.stream()
        ensure_initialised(store, self.settings)
        for _ in range(ticks):
            tick(store, stream, self.settings)
        with self.target.delivery() as delivery:
            delivery.drain()
        try:
            run_dbt(["build", "--select", "tag:realtime", "--quiet", *dbt_paths(self.home)], self.target)
        finally:
            release_in_process_dbt_duckdb()
        self.target.publish_realtime()

    def published(self, sql: str):
        from olist_dw.warehouse import connect_read_only

        with connect_read_only(self.settings.serving_path) as con:  # every published set, as readers see it
            return con.execute(sql).fetchone()


@pytest.fixture
def published_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PublishedHome:
    home = tmp_path / "home"
    products = tmp_path / "products"
    write_products(products, 200)
    for name, value in {
        "OLIST_HOME": str(home),
        "OLIST_TARGET": "local",
        "OLIST_SOURCE_DIR": str(products),  # the simulator's inventory; the batch loads raw from its own files
        "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
        "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
    }.items():
        monkeypatch.setenv(name, value)
    saved_env = dict(os.environ)  # run_dbt exports the profile's variables: restore them afterwards
    built = PublishedHome(home)
    try:
        built.build_batch()
        built.simulate_and_publish_realtime(ticks=3)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    return built


def _sold_orders(built: PublishedHome) -> int:
    """The simulator's orders recomputed from the published items, not read from gold_sim."""
    return built.published("select count(distinct order_id) from realtime.fct_items_sold")[0]


def test_dashboard_reads_what_the_pipeline_published_also_while_it_publishes(browser, published_home, tmp_path):
    counted_orders = published_home.published(
        "select count(*) from marts.fct_orders where item_count > 0 and order_status not in ('canceled', 'unavailable')"
    )[0]
    assert counted_orders > 0
    sold_before = _sold_orders(published_home)
    assert sold_before > 0

    with serve_dashboard(published_home.home, tmp_path / "streamlit.log") as url:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6", timeout=60_000)
        page.wait_for_function("document.querySelectorAll('path.choroplethlocation').length === 27", timeout=30_000)
        assert page.locator(ERROR_ELEMENTS).count() == 0, page.locator(ERROR_ELEMENTS).all_inner_texts()
        values = metric_values(page)
        assert values["Orders"] == f"{counted_orders:,}"
        assert values["Simulated orders (all days)"] == f"{sold_before:,}"

        # The pipeline publishes again (realtime three times, then the batch) while the live panel re-reads
        # every second: the page shows no error after any publish, and ends on the newest snapshot.
        from olist_dw.batch.publish import publish_local

        errors: list[str] = []
        saved_env = dict(os.environ)
        try:
            for _ in range(3):
                published_home.simulate_and_publish_realtime(ticks=2)
                errors.extend(page.locator(ERROR_ELEMENTS).all_inner_texts())
            publish_local(published_home.settings.warehouse_path, published_home.settings.serving_path)
            errors.extend(page.locator(ERROR_ELEMENTS).all_inner_texts())
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
        sold_after = _sold_orders(published_home)
        assert sold_after > sold_before
        page.wait_for_function(
            "(n) => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
            ".some(e => e.innerText.trim() === n)",
            arg=f"{sold_after:,}",
            timeout=30_000,
        )
        errors.extend(page.locator(ERROR_ELEMENTS).all_inner_texts())
        assert not errors, errors
        assert "Traceback" not in (tmp_path / "streamlit.log").read_text()
        page.screenshot(path=str(tmp_path / "dashboard-published.png"), full_page=True)
