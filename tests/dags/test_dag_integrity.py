"""DAG integrity for every DAG file in dags/: imports cleanly, no cycles, owner, retries, tags, doc_md;
prints each file's parse time. olist_batch: the same stages in the same order on both targets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from olist_dw.settings import PROJECT_ROOT

DAGS_DIR = PROJECT_ROOT / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if "dag" in p.read_text().lower())
PARSE_BUDGET_S = 0.5


@pytest.fixture(scope="module")
def dagbag():
    # warm the imports every DAG file shares (the DAG processor has them loaded too)
    import cosmos  # noqa: F401
    from airflow.dag_processing.dagbag import DagBag

    import olist_dw.cosmos_config  # noqa: F401

    return DagBag(dag_folder=str(DAGS_DIR))


def test_every_dag_file_imports(dagbag):
    assert DAG_FILES, "no DAG file found"
    assert dagbag.import_errors == {}, dagbag.import_errors
    parsed_files = {Path(dag.fileloc).name for dag in dagbag.dags.values()}
    assert {p.name for p in DAG_FILES} <= parsed_files


def test_every_dag_has_owner_retries_tags_and_docs(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id}: no tags"
        assert dag.doc_md and len(dag.doc_md.strip()) > 40, f"{dag_id}: no doc_md"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id}: no owner"
        retries = {t.task_id: t.retries for t in dag.tasks}
        assert dag.default_args.get("retries") is not None, f"{dag_id}: no retries in default_args"
        assert any(r > 0 for r in retries.values()), f"{dag_id}: no task retries"


def test_every_dag_starts_at_a_timezone_aware_date_and_runs_one_at_a_time(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.start_date is not None and dag.start_date.utcoffset() is not None, f"{dag_id}: naive start_date"
        assert dag.catchup is False and dag.max_active_runs == 1, dag_id


def test_no_cycles(dagbag):
    for dag in dagbag.dags.values():
        dag.check_cycle()  # raises AirflowDagCycleException


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_parse_time(dagbag, dag_file: Path):
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=str(dag_file))
    elapsed = time.perf_counter() - started
    print(f"\nparse time {dag_file.name}: {elapsed:.3f} s ({len(bag.dags)} DAG)")
    assert not bag.import_errors
    # generous in the test (shared CI cores); bench/batch.py reports the figure against the 0.5 s budget
    assert elapsed < 10 * PARSE_BUDGET_S


def top_level(dag) -> list[str]:
    return list(dag.task_group.children)


def stage_order(dag) -> list[str]:
    """The top-level nodes in dependency order (each one's downstream is the next)."""
    children = dag.task_group.children

    def owner(task_id: str) -> str:
        return task_id.split(".")[0]

    def downstream(name: str) -> set[str]:
        inside = [t for t in dag.tasks if owner(t.task_id) == name]
        return {owner(d) for t in inside for d in t.downstream_task_ids} - {name}

    def upstream(name: str) -> set[str]:
        inside = [t for t in dag.tasks if owner(t.task_id) == name]
        return {owner(u) for t in inside for u in t.upstream_task_ids} - {name}

    order = [next(name for name in children if not upstream(name))]
    while True:
        following = downstream(order[-1])
        if not following:
            return order
        (name,) = following
        order.append(name)


@pytest.mark.parametrize("target", ["local", "aws"])
def test_olist_batch_has_the_same_stages_on_both_targets(monkeypatch, target: str):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("OLIST_TARGET", target)
    monkeypatch.setenv("OLIST_S3_BUCKET", "olist-lake-test")
    bag = DagBag(dag_folder=str(DAGS_DIR / "olist_batch.py"))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["olist_batch"]
    assert sorted(top_level(dag)) == sorted(["land", "validate", "convert", "load", "transform", "publish"])
    assert stage_order(dag) == ["land", "validate", "convert", "load", "transform", "publish"]
    publish_tasks = [t for t in dag.tasks if t.task_id.split(".")[0] == "publish"]
    assert [a.name for t in publish_tasks for a in t.outlets] == ["olist_gold"]
    producer = dag.get_task("transform.dbt_producer_watcher")
    assert producer.retries == 0
    sensors = [t for t in dag.tasks if t.task_id.startswith("transform.") and t is not producer]
    assert all(t.upstream_task_ids for t in sensors)  # every sensor waits for the producer (or a sensor)
    if target == "local":
        assert {dag.get_task(t).pool for t in ("load", "publish", "transform.dbt_producer_watcher")} == {
            "olist_warehouse"
        }
