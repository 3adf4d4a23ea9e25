"""Fixtures of the BI tests: a published serving snapshot in the test's own OLIST_HOME, Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.dashboard.bi_fixture import build_serving_file
from tests.dashboard.browser_helpers import CHROMIUM_FLAGS


@pytest.fixture
def serving_file(olist_home: Path) -> Path:
    """The test's OLIST_HOME with a published snapshot holding batch and real-time tables."""
    from olist_dw.settings import get_settings

    return build_serving_file(get_settings().serving_path)


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
