"""A fresh OLIST_HOME with no source data: the DAGs generate it at OLIST_SCALE (once, also when two tasks try at
once), and a folder the user set in OLIST_SOURCE_DIR is never generated into: its missing file stays a clear
failure, at the first try."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from olist_dw.airflow_local import airflow_env, ensure_airflow_db, run_dag
from olist_dw.contract import SOURCES
from olist_dw.errors import UserFacingError
from olist_dw.settings import get_settings
from olist_dw.source_data import ensure_source_data, missing_source_files
from tests.dags.dag_runs import task_report

SMALL_SCALE = "0.001"  # the generator's smallest: ~100 orders


@pytest.fixture
def fresh_home(olist_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OLIST_SCALE", SMALL_SCALE)
    monkeypatch.setenv("OLIST_TASK_RETRIES", "2")
    monkeypatch.setenv("OLIST_AIRFLOW_DB", "sqlite")
    return olist_home


def test_source_data_is_generated_once_on_a_fresh_home(fresh_home: Path):
    settings = get_settings()
    folder = ensure_source_data(settings)

    assert folder == settings.generated_source_dir
    assert missing_source_files(folder) == []
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert ensure_source_data(settings) == folder
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps  # present: not written again


def test_two_processes_at_once_generate_the_dataset_once(fresh_home: Path):
    code = (
        "from olist_dw.settings import get_settings; from olist_dw.source_data import ensure_source_data; "
        "print('ready', ensure_source_data(get_settings()))"
    )
    racers = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [racer.communicate(timeout=120)[0] for racer in racers]

    assert [racer.returncode for racer in racers] == [0, 0]
    assert all("ready" in out for out in outputs)
    assert sum(out.count("generating the dataset") for out in outputs) == 1, outputs
    assert missing_source_files(get_settings().generated_source_dir) == []
    assert not list(get_settings().generated_source_dir.glob(".olist-generate-*"))  # no half-written folder left


def test_a_missing_file_in_the_users_folder_is_not_generated(fresh_home: Path, monkeypatch, tmp_path: Path):
    users = tmp_path / "kaggle"
    users.mkdir()
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(users))
    settings = get_settings()

    assert ensure_source_data(settings) == users.resolve()
    assert list(users.iterdir()) == []
    assert not settings.generated_source_dir.exists()


def test_land_on_a_fresh_home_generates_then_lands_every_file(fresh_home: Path):
    from olist_dw.batch import stages

    keys = stages.land.function()

    assert len(keys) == len(SOURCES)
    assert missing_source_files(get_settings().generated_source_dir) == []
    assert all((get_settings().lake_dir / key).is_file() for key in keys)


def test_olist_dw_simulate_on_a_fresh_home_generates_then_ticks(fresh_home: Path):
    olist_dw = Path(sys.executable).with_name("olist-dw")
    result = subprocess.run([olist_dw, "simulate", "--ticks", "2", "--quiet"], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert "2 ticks:" in result.stdout
    assert missing_source_files(get_settings().generated_source_dir) == []


@pytest.mark.e2e
def test_the_simulators_first_tick_on_a_fresh_home_succeeds(fresh_home: Path, tmp_path: Path):
    settings = get_settings()
    ensure_airflow_db(settings)
    run_dag("olist_sim_generator", settings, tmp_path / "tick.log", {"ticks": 2})

    report = task_report(airflow_env(settings), "olist_sim_generator")
    assert report == {"run": "success", "tasks": {"tick": ["success", 1]}}
    assert missing_source_files(settings.generated_source_dir) == []


@pytest.mark.e2e
def test_the_first_tick_fails_at_once_naming_the_file_missing_in_olist_source_dir(
    fresh_home: Path, monkeypatch, tmp_path: Path
):
    users = tmp_path / "kaggle"
    users.mkdir()
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(users))
    settings = get_settings()
    ensure_airflow_db(settings)

    with pytest.raises(UserFacingError, match=f"no olist_products_dataset.csv in {users}"):
        run_dag("olist_sim_generator", settings, tmp_path / "tick.log", {"ticks": 1})

    report = task_report(airflow_env(settings), "olist_sim_generator")
    assert report == {"run": "failed", "tasks": {"tick": ["failed", 1]}}
    assert list(users.iterdir()) == []
