"""Fixtures of the live tests: a fresh OLIST_HOME that the metadata database's server user can reach."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from olist_dw import metadata_db
from tests.live.harness import live_home


@pytest.fixture
def postgres_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """OLIST_HOME with OLIST_AIRFLOW_DB=postgres (the suite defaults to SQLite); the server is stopped after."""
    try:
        metadata_db._binary("initdb")
    except metadata_db.MetadataDbError as missing:
        pytest.skip(f"{missing}")
    with live_home() as home:
        monkeypatch.setenv("OLIST_HOME", str(home))
        monkeypatch.setenv("OLIST_AIRFLOW_DB", "postgres")
        monkeypatch.delenv("OLIST_AIRFLOW_DB_PORT", raising=False)
        try:
            yield home
        finally:
            from olist_dw.settings import get_settings

            metadata_db.stop(get_settings())
