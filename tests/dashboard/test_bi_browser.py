"""The dashboard in a real browser: `streamlit run` on a free localhost port, Debian's headless Chromium.

Chromium comes from the project's setup (`make browser`, a prerequisite of `make test`); playwright only
drives it (never `playwright install`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from olist_dw.dashboard.server import streamlit_command
from tests.dashboard.bi_fixture import EXPECTED, build_serving_file

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these, chromium's own background connections are refused here and slow every page.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ERROR_ELEMENTS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        pytest.skip(
            "Debian's chromium is not installed and `make browser` could not install it "
            "(apt-get install chromium needs root and a reachable Debian mirror); browser tests skipped"
        )
    return path


@pytest.fixture
def browser(chromium: str, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a new, empty profile
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 2600},
        )
        try:
            yield context
        finally:
            context.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_dashboard(home: Path, log: Path) -> Iterator[str]:
    """`streamlit run` of the page with its own OLIST_HOME; yields the URL once the server is healthy."""
    port = _free_port()
    env = {**os.environ, "OLIST_HOME": str(home), "OLIST_DASHBOARD_REFRESH_SECONDS": "1"}
    with open(log, "wb") as out:
        server = subprocess.Popen(streamlit_command(port), env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"streamlit did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def metric_values(page) -> dict[str, str]:
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values, strict=True)}


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
