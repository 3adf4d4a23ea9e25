"""dbt's run_results.json kept out of Cosmos's temporary project (olist_dw.dbt_artifacts), per DAG: the callback
on its own, that the project's Cosmos tasks carry it, and a real olist_batch run whose dbt test fails."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from olist_dw.dashboard import health
from olist_dw.dbt_artifacts import KEEP_RUN_RESULTS_CALLBACK, artifacts_dir, keep_run_results
from olist_dw.settings import get_settings


def fake_project(tmp_path: Path, results: dict | None) -> Path:
    project = tmp_path / "tmp-project"
    (project / "target").mkdir(parents=True)
    if results is not None:
        (project / "target" / "run_results.json").write_text(json.dumps(results))
    return project


def test_callback_keeps_run_results_under_the_dag_id(olist_home: Path, tmp_path: Path) -> None:
    results = {"metadata": {"generated_at": "2026-11-25T09:30:00Z"}, "results": [], "elapsed_time": 1.0}
    ti = SimpleNamespace(dag_id="olist_batch", run_id="manual__1", task_id="transform.dbt_producer_watcher")

    kept = keep_run_results(str(fake_project(tmp_path, results)), context={"ti": ti})

    assert kept == artifacts_dir(get_settings(), "olist_batch") / "run_results.json"
    assert json.loads(kept.read_text()) == results
    run = json.loads((kept.parent / "run.json").read_text())
    assert (run["dag_id"], run["run_id"], run["task_id"]) == ("olist_batch", "manual__1", ti.task_id)
    assert sorted(p.name for p in kept.parent.iterdir()) == ["run.json", "run_results.json"]  # no temp file left


def test_callback_without_run_results_keeps_nothing_and_does_not_raise(olist_home: Path, tmp_path: Path) -> None:
    ti = SimpleNamespace(dag_id="olist_batch", run_id="manual__1", task_id="t")
    assert keep_run_results(str(fake_project(tmp_path, None)), context={"ti": ti}) is None
    assert not (olist_home / "dbt-artifacts").exists()


def test_the_batch_producer_and_the_micro_batch_build_carry_the_callback(olist_home: Path) -> None:
    from olist_dw.cosmos_config import dbt_build_task, execution_config
    from olist_dw.targets import get_target

    target = get_target(get_settings())
    assert execution_config(target).setup_operator_args["callback"] == KEEP_RUN_RESULTS_CALLBACK
    from airflow.sdk import DAG

    with DAG("probe", schedule=None):
        task = dbt_build_task("dbt_build", ["tag:realtime"], target)
    assert task.callback == KEEP_RUN_RESULTS_CALLBACK


@pytest.mark.e2e
def test_a_batch_run_whose_dbt_test_fails_keeps_the_failed_test(tmp_path: Path, monkeypatch) -> None:
    from olist_dw.demo.batch import run_batch_dag
    from olist_dw.errors import UserFacingError
    from olist_dw.generator import generate

    source = tmp_path / "source"
    generate(source, scale=0.01, seed=11, quiet=True)
    orders = source / "olist_orders_dataset.csv"
    lines = orders.read_bytes().splitlines(keepends=True)
    orders.write_bytes(b"".join([*lines, lines[-1]]))  # a duplicate order: valid rows, but not unique
    monkeypatch.setenv("OLIST_HOME", str(tmp_path / "olist-home"))
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(source))
    monkeypatch.setenv("OLIST_TARGET", "local")
    monkeypatch.setenv("OLIST_TASK_RETRIES", "0")
    settings = get_settings()

    with pytest.raises(UserFacingError, match="olist_batch run failed"):
        run_batch_dag(settings)

    builds = health.dbt_builds(settings)
    failed = builds.failed_tests()
    assert failed[["dag_id", "test", "status", "failures"]].values.tolist() == [
        ["olist_batch", "unique_stg_olist__orders_order_id", "fail", 1]
    ]
    batch = builds.builds.set_index("dag_id").loc["olist_batch"]
    assert batch["tests_passed"] > 50 and batch["tests_failed"] == 1
    # What the failure stopped: the tests of the models downstream of the orders.
    assert batch["tests_skipped"] > 0
    assert batch["tests"] == batch["tests_passed"] + batch["tests_failed"] + batch["tests_skipped"]
    assert batch["run_id"].startswith("manual__")
