"""Shared fixtures: every test gets its own OLIST_HOME so that no test touches the user's state.

Under CI (the environment variable CI set, as `.ci/run` and CI runners set it), a test that needs something the
project's own files install (chromium for the `browser` tests, by `make browser`; Java for the `spark` tests, by
`make java`) or the real Olist files beside the project (the `real_data_dir` fixture) fails instead of skipping:
a green CI must have run them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REAL_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist-real"

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
# `airflow dags test` is one process: SQLite will do, and no test leaves a PostgreSQL server behind. The live
# tests (tests/live) start and stop their own PostgreSQL server.
os.environ["OLIST_AIRFLOW_DB"] = "sqlite"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def must_not_skip_in_ci(item: pytest.Item) -> bool:
    """Tests whose skip means CI did not test what it claims to: the browser, Spark and real-data tests."""
    if item.get_closest_marker("browser") is not None or item.get_closest_marker("spark") is not None:
        return True
    return "real_data_dir" in getattr(item, "fixturenames", ())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and running_in_ci() and must_not_skip_in_ci(item):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI is set: this test must run, not skip. Skip reason: {reason}"
    return report


@pytest.fixture
def olist_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh OLIST_HOME for the test (settings read it from the environment)."""
    home = tmp_path / "olist-home"
    monkeypatch.setenv("OLIST_HOME", str(home))
    monkeypatch.delenv("OLIST_SOURCE_DIR", raising=False)
    monkeypatch.setenv("OLIST_TARGET", "local")
    return home


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The four real Olist files beside the project; tests using them skip where they are absent (fail under CI)."""
    if not REAL_DATA_DIR.is_dir():
        pytest.skip(f"real Olist files not found at {REAL_DATA_DIR} (../shared/data/olist-real); skipped")
    return REAL_DATA_DIR


# --- Debian's headless Chromium, for the `browser` tests (dashboard, dbt docs) -------------------------
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

    from tests.dashboard.browser_helpers import CHROMIUM_FLAGS  # here: test_ci_rule copies this file alone

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
