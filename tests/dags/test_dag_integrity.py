"""DAG integrity for every DAG file in dags/: imports cleanly, no cycles, owner, every task's retries, tags,
doc_md; each file's parse time against its measured figure. olist_batch: the same stages in the same order on
both targets."""

from __future__ import annotations

import gc
import statistics
import time
from pathlib import Path

import pytest

from olist_dw.settings import PROJECT_ROOT

DAGS_DIR = PROJECT_ROOT / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if "dag" in p.read_text().lower())
# CPU time of one warm parse of each file (the imports every DAG file shares already loaded, as in the DAG
# processor), median of 5, measured on the project's 2-core machine (idle: wall time ~ CPU time). CPU time, not
# wall time: other processes on shared cores slow the wall clock (x3-x4 seen at load 6), not the parse's work.
# A new DAG file needs its own figure here.
MEASURED_PARSE_CPU_S = {
    "olist_batch.py": 0.080,
    "olist_freshness.py": 0.0045,
    "olist_realtime.py": 0.0045,
    "olist_sim_delivery.py": 0.0045,
    "olist_sim_generator.py": 0.0045,
}
PARSE_REPEATS = 5
PARSE_HEADROOM = 3  # the median of this run may be 3x the figure: a file whose parse got 3x heavier fails
PARSE_NOISE_FLOOR_S = 0.025  # for files parsed in a few ms, timer and GC noise exceed 3x the figure
PARSE_BUDGET_CPU_S = 0.5  # every single parse, the cold first one included (bench/batch.py reports against it)
PARSE_CEILING_WALL_S = 2.0  # any parse: catches waiting at parse time (network, database, sleep) on any load
# Tasks that must not retry, and why; every other task retries (OLIST_TASK_RETRIES, default 2).
NO_RETRY_TASKS = {
    # Cosmos's watcher producer runs the whole dbt build; Cosmos skips a retried producer (cosmos_config.py).
    ("olist_batch", "transform.dbt_producer_watcher"),
}


@pytest.fixture(scope="module")
def dagbag():
    # warm the imports every DAG file shares (the DAG processor has them loaded too)
    import cosmos  # noqa: F401
    from airflow.dag_processing.dagbag import DagBag

    import olist_dw.cosmos_config  # noqa: F401

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("OLIST_TASK_RETRIES", raising=False)  # the default the DAGs ship with, whatever the shell says
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
        assert dag.default_args.get("retries", 0) > 0, f"{dag_id}: no retries in default_args"


def test_every_task_retries_except_the_ones_that_must_not(dagbag):
    seen_exempt = set()
    for dag_id, dag in dagbag.dags.items():
        for task in dag.tasks:
            if is_cosmos_sensor(task):
                # They only report the producer's results; a retry would make Cosmos run the model itself.
                assert task.retries == 0 and task.pool == "default_pool", f"{task.task_id}: retries or a pool"
            elif (dag_id, task.task_id) in NO_RETRY_TASKS:
                seen_exempt.add((dag_id, task.task_id))
                assert task.retries == 0, f"{dag_id}.{task.task_id}: must not retry, has retries={task.retries}"
            else:
                assert task.retries == dag.default_args["retries"], (
                    f"{dag_id}.{task.task_id}: retries={task.retries}, not the DAG's {dag.default_args['retries']}"
                )
    assert seen_exempt == NO_RETRY_TASKS, f"exempt tasks no longer found: {NO_RETRY_TASKS - seen_exempt}"


def is_cosmos_sensor(task) -> bool:
    from cosmos.operators._watcher.base import BaseConsumerSensor

    return isinstance(task, BaseConsumerSensor)


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

    assert dag_file.name in MEASURED_PARSE_CPU_S, f"{dag_file.name}: measure its parse time and add it"
    cpu, wall = [], []
    # The DAG processor parses in a small process; this one holds every earlier test's objects, and a full
    # garbage collection over them (0.6 s seen) is no cost of the parse: frozen, the collector sees only the
    # parse's own objects.
    gc.collect()
    gc.freeze()
    try:
        for _ in range(PARSE_REPEATS):
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            bag = DagBag(dag_folder=str(dag_file))
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started_wall)
            assert not bag.import_errors, bag.import_errors
            assert bag.dags, f"{dag_file.name}: no DAG parsed"
    finally:
        gc.unfreeze()
    median = statistics.median(cpu)
    bound = max(PARSE_HEADROOM * MEASURED_PARSE_CPU_S[dag_file.name], PARSE_NOISE_FLOOR_S)
    print(
        f"\nparse {dag_file.name}: CPU median {median:.4f} s (bound {bound:.3f}), CPU max {max(cpu):.4f} s, "
        f"wall median {statistics.median(wall):.4f} s, wall max {max(wall):.4f} s"
    )
    assert median < bound, f"{dag_file.name}: median parse CPU {median:.3f} s over {bound:.3f} s: {cpu}"
    assert max(cpu) < PARSE_BUDGET_CPU_S, f"{dag_file.name}: a parse took {max(cpu):.3f} s CPU: {cpu}"
    assert max(wall) < PARSE_CEILING_WALL_S, f"{dag_file.name}: a parse took {max(wall):.3f} s: {wall}"


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
