"""The "Data health" page in a real browser (`streamlit run` on a free localhost port, Debian's headless
Chromium) on a home with failures of every kind: each is on the page, as text, with no error and nothing
fetched from outside the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard.browser_helpers import ERROR_ELEMENTS, free_port, serve_dashboard
from tests.dashboard.health_fixture import ALERT_MESSAGE, FAILED_TEST, QUARANTINED, build_health_home

pytestmark = pytest.mark.browser


def wait_for_text(page, text: str) -> None:
    page.wait_for_function("t => document.body.innerText.includes(t)", arg=text, timeout=60_000)


def table_rows(page) -> list[list[str]]:
    """The cells of every st.table row, without the index column."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stTable"] tbody tr')]
               .map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))"""
    )


def test_health_page_shows_a_failed_test_quarantine_dead_letters_a_stale_gold_sim_and_alerts(
    browser, tmp_path: Path
) -> None:
    home = build_health_home(tmp_path / "home", gold_sim_loaded_at=None)  # loaded two hours ago
    airflow_port = free_port()  # nothing listens there: the page must say Airflow is not running
    with serve_dashboard(home, tmp_path / "streamlit.log", {"AIRFLOW__API__PORT": str(airflow_port)}) as url:
        page = browser.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(f"{url}/health")

        wait_for_text(page, ALERT_MESSAGE)  # the last section: the page has rendered
        wait_for_text(page, f"Airflow is not running at http://127.0.0.1:{airflow_port}")
        wait_for_text(page, FAILED_TEST)
        wait_for_text(page, "olist_batch (2026-11-25 09:30:00 UTC): 5 tests, 3 passed, 1 failed, 1 skipped")
        rows = table_rows(page)
        for (file, table, reason), count in QUARANTINED.items():
            # One table row: file, table, reason and the number of rows quarantined for it.
            assert [file, table, reason, str(count)] in rows, rows
        assert ["malformed_json", "2"] in rows, rows
        metrics = dict(
            zip(
                page.locator('[data-testid="stMetricLabel"]').all_inner_texts(),
                page.locator('[data-testid="stMetricValue"]').all_inner_texts(),
                strict=True,
            )
        )
        assert metrics["Dead-lettered events"] == "3"
        assert metrics["Age of gold_sim's newest row"].startswith("2 h")
        wait_for_text(page, "gold_sim is stale")
        assert page.locator(ERROR_ELEMENTS).count() == 0
        assert not failed, f"requests failed (the page must need nothing from the internet): {failed}"
        page.screenshot(path=str(tmp_path / "health.png"), full_page=True)

        # The sales view is one click away, in the sidebar's navigation.
        page.get_by_role("link", name="Sales").click()
        wait_for_text(page, "Olist sales analysis")
