"""ensure_airflow_db: every `olist-dw airflow ...` call comes through it; it migrates and sets the warehouse pool
only when the metadata database is not already current for the installed Airflow."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from olist_dw.airflow_local import ensure_airflow_db, metadata_db_stamp, metadata_db_state, run_airflow
from olist_dw.metadata_db import ensure_running
from olist_dw.settings import get_settings
from olist_dw.targets.local import WAREHOUSE_POOL


@pytest.fixture
def sqlite_home(olist_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OLIST_AIRFLOW_DB", "sqlite")
    return olist_home


def test_a_current_database_is_not_migrated_again_and_a_changed_one_is(sqlite_home: Path):
    settings = get_settings()
    url = ensure_running(settings)
    assert metadata_db_state(url) is None  # nothing there yet

    assert ensure_airflow_db(settings) is True
    state = metadata_db_state(url)
    assert state is not None and state["revision"] and state["pool_slots"] == 1

    assert ensure_airflow_db(settings) is False  # current: no `db migrate`, no `pools set`

    # The pool removed behind its back: set again.
    run_airflow(["pools", "delete", WAREHOUSE_POOL], settings, stdout=subprocess.DEVNULL)
    assert metadata_db_state(url)["pool_slots"] is None
    assert ensure_airflow_db(settings) is True
    assert metadata_db_state(url)["pool_slots"] == 1

    # Migrated by another Airflow version (an upgrade of the environment): migrated again.
    stamp = metadata_db_stamp(settings)
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "airflow": "3.0.0"}))
    assert ensure_airflow_db(settings) is True
    assert ensure_airflow_db(settings) is False
