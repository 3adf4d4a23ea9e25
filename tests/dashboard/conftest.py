"""Fixtures of the BI tests: a published serving snapshot in the test's own OLIST_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard.bi_fixture import build_serving_file


@pytest.fixture
def serving_file(olist_home: Path) -> Path:
    """The test's OLIST_HOME with a published snapshot holding batch and real-time tables."""
    from olist_dw.settings import get_settings

    return build_serving_file(get_settings().serving_path)
