"""Shared fixtures: every test gets its own OLIST_HOME so that no test touches the user's state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist-real"

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")


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
    """The four real Olist files beside the project; tests using them skip where they are absent."""
    if not REAL_DATA_DIR.is_dir():
        pytest.skip(f"real Olist files not found at {REAL_DATA_DIR} (../shared/data/olist-real); skipped")
    return REAL_DATA_DIR
