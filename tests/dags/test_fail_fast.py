"""Deterministic errors fail their task at the first try; transient ones keep the retries (OLIST_TASK_RETRIES).

Real DAG runs (`dag.test()` / `airflow dags test`) in a subprocess with the local Airflow environment of a fresh
OLIST_HOME, task instances read back from the metadata database. The probe DAG (probe_dags/) uses the
project's `dag_args`, so it proves what every DAG of the project gets; olist_batch with a missing source file
proves it on the real land task, as `make demo` meets it."""

from __future__ import annotations

from pathlib import Path

import pytest

from olist_dw.airflow_local import airflow_env, ensure_airflow_db, run_dag
from olist_dw.errors import UserFacingError
from olist_dw.settings import get_settings
from tests.dags.dag_runs import task_report

PROBE_DAGS = Path(__file__).resolve().parent / "probe_dags"


@pytest.fixture
def airflow_home(olist_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OLIST_TASK_RETRIES", "2")
    monkeypatch.setenv("OLIST_AIRFLOW_DB", "sqlite")  # one process at a time here: the file is enough
    settings = get_settings()
    ensure_airflow_db(settings)
    return settings


def test_user_facing_errors_fail_at_the_first_try_and_transient_errors_are_retried(airflow_home, tmp_path):
    env = airflow_env(airflow_home)
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROBE_DAGS)
    report = task_report(env, "fail_fast_probe", dags_folder=PROBE_DAGS)

    # Every probe task fails on its first try only: retried -> success at try 2; not retried -> failed at 1.
    assert report["tasks"] == {
        "missing_source_file": ["failed", 1],
        "bad_setting": ["failed", 1],
        "dbt_test_failed": ["failed", 1],
        "disk_error": ["success", 2],
        "warehouse_locked": ["success", 2],
        "dbt_met_the_lock": ["success", 2],
    }
    assert report["run"] == "failed"


def test_missing_source_file_fails_olist_batch_at_once_naming_the_file(airflow_home, monkeypatch, tmp_path):
    empty = tmp_path / "empty-source"
    empty.mkdir()
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(empty))
    settings = get_settings()

    with pytest.raises(UserFacingError, match=r"missing file") as failed:
        run_dag("olist_batch", settings, tmp_path / "olist_batch.log")

    assert f"{empty}/olist_customers_dataset.csv" in str(failed.value)
    report = task_report(airflow_env(settings), "olist_batch")
    assert report["tasks"]["land"] == ["failed", 1]  # before: up for retry twice, 30 s apart
    assert report["tasks"]["validate"][0] == "upstream_failed"
    assert not (settings.home / "source").exists()  # the user's folder is missing files: nothing generated
