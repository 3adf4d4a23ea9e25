"""The dashboard in a real browser (`streamlit run` on a free localhost port, Debian's headless Chromium) on
hand-built snapshots: exact figures, the live panel, the page before anything was built."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.dashboard.bi_fixture import EXPECTED, build_serving_file
from tests.dashboard.browser_helpers import ERROR_ELEMENTS, metric_values, serve_dashboard

pytestmark = pytest.mark.browser


def test_dashboard_renders_charts_kpis_and_a_live_panel(browser, tmp_path: Path) -> None:
    home = tmp_path / "home"
    serving = build_serving_file(home / "serving" / "analytics.duckdb")
    with serve_dashboard(home, tmp_path / "streamlit.log") as url:
        page = browser.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(url)
        # Five batch charts and the live one; the map's 27 state shapes drawn on the locally served base map.
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6", timeout=60_000)
        page.wait_for_function("document.querySelectorAll('path.choroplethlocation').length === 27", timeout=30_000)
        assert page.locator(ERROR_ELEMENTS).count() == 0
        values = metric_values(page)
        assert values["Orders"] == f"{EXPECTED['orders']:,}"
        assert values["Revenue"] == "R$ 31,314.25"
        assert values["On-time delivery"] == "87.5%"
        assert values["Simulated orders (all days)"] == "9"
        assert not failed, f"requests failed (the page must need nothing from the internet): {failed}"
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

        # The simulator publishes a new snapshot: the live panel shows it without a reload.
        build_serving_file(serving, realtime_rows=[(dt.date(2026, 11, 26), "SP", 41, "5000.00")])
        page.wait_for_function(
            "[...document.querySelectorAll('[data-testid=\"stMetricValue\"]')].some(e => e.innerText.trim() === '41')",
            timeout=30_000,
        )
        assert page.locator(ERROR_ELEMENTS).count() == 0
        page.screenshot(path=str(tmp_path / "dashboard-live.png"), full_page=True)


def test_not_built_page_says_what_to_run_then_updates_itself(browser, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with serve_dashboard(home, tmp_path / "streamlit.log") as url:
        page = browser.new_page()
        page.goto(url)
        page.get_by_text("The warehouse has not been built yet").wait_for(timeout=60_000)
        # Elements stream in one by one: wait for the command too, not just the first message.
        page.wait_for_function("document.body.innerText.includes('make demo')", timeout=30_000)
        assert page.locator(ERROR_ELEMENTS).count() == 0
        page.screenshot(path=str(tmp_path / "not-built.png"), full_page=True)

        build_serving_file(home / "serving" / "analytics.duckdb")
        page.wait_for_function("document.querySelectorAll('path.choroplethlocation').length === 27", timeout=30_000)
        assert metric_values(page)["Orders"] == f"{EXPECTED['orders']:,}"
        assert page.locator(ERROR_ELEMENTS).count() == 0
