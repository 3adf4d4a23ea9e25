"""How every Cosmos task group of the project renders and runs the dbt project in include/dbt.

Rendering: from the dbt manifest (`LoadMode.DBT_MANIFEST`, built by `make manifest` /
`olist-dw dbt-manifest` and in the Astro image), so parsing a DAG file never runs dbt.

Execution: `ExecutionMode.WATCHER`. One producer task runs a single `dbt build` (models and their tests,
dbt's own threads and dependency order) while one light sensor per model reports that model's result in
the Airflow UI. Why, for this project:
- DuckDB takes one writing process per file: one `dbt build` is exactly one writer holding the
  `olist_warehouse` pool slot, instead of one dbt process per model queueing on the slot.
- Speed: every dbt invocation pays start-up and manifest loading (~2 s here), and in LOCAL mode every
  model is also an Airflow task start-up, serialised by the one-slot pool: ~30 models x (2-4 s).
  The watcher pays that once; its sensors finish on their first poke.
- Tests still gate publishing: a failing test fails the build, the producer and the model's sensors, so
  the publish task downstream of the group never runs.
dbt is invoked in-process (`InvocationMode.DBT_RUNNER`): no interpreter start-up per command.

`dbt_task_group()` puts the producer upstream of every sensor (Cosmos does that for a DbtDag, not for a
DbtTaskGroup): `airflow dags test` runs tasks one at a time, and a sensor picked before the producer would
wait forever. The sensors then only report; the run time is the one `dbt build`. The producer gets no
retries: Cosmos skips a retried producer, which would let the run end without building.

Under the live scheduler the reporting cost more than the build (bench/live_batch.py, SF1, 2 cores,
realtime DAGs paused, median of 2 runs): wall 110.5 s = before dbt 13.2 + producer 51.6 + reporting 41.1 +
publish 3.0. Three changes, weighed against fewer reporting tasks (TestBehavior.NONE would halve them but
hide each model's tests from the UI) and more executor slots (the sensors were CPU-bound task start-ups):
- the producer pushes to XCom only what its sensors read (`push_dbt_events_of_failures_only`): Cosmos
  pushed each node's dbt event four times, 944 of 1185 pushes, 38 s of an 80 s build at scale 0.05;
- every sensor depends on the producer only (`report_right_after_the_build`), not on its dbt parents'
  sensors: the reports ran in a chain as deep as the dbt DAG, one scheduler round per level;
- every sensor starts and ends in the triggerer (olist_dw.cosmos_reporting): no worker process each.
After: wall 71.4 s = before dbt 12.3 + producer 39.0 + reporting 15.3 + publish 2.6. Then two more:
- the producer builds with Cosmos's "reliable retry" off (`without_cosmos_xcom_backup`): every push also
  rewrote one Variable holding all the build's pushes so far, a backup only Cosmos's skipped second try reads;
- `make airflow`'s executor imports dbt, Cosmos and OpenLineage's dbt processor before it forks its workers
  (olist_dw.airflow_executor), and the scheduler idles 0.25 s instead of 1 s.
After those (best of 2): wall 47.7 s = before dbt 10.3 + producer 20.0 + reporting 13.5 + publish 2.9; medians
57.4 = 13.2 + 22.7 + 17.4 + 3.1. Tried and reverted: sending the producer's pushes from a background thread
(20.0-25.5 s with it, 20.1-22.2 s without). Then two more, found by sampling the live producer (py-spy) and
reading the triggerer's log:
- dbt's own loggers are off in the producer (`PRODUCER_DBT_LOG_FLAGS`): a third of the build's threads' time
  went to writing each of ~5,600 events as a console JSON line (which Cosmos parsed again to drop) and a debug
  file log (deleted with Cosmos's temporary project); Cosmos's callback still logs every message;
- each report reads its node's status in one XCom round trip (`ReportingTrigger.run`) instead of Cosmos's
  four to five (start-up events, producer state, status, compiled SQL).
After those (same bench, median of 2): wall 38.2 s = before dbt 9.3 + producer 16.4 + reporting 8.7 + publish
2.8; the second run 31.7 s (producer 14.5, reporting 5.4), the first 44.8 s: a fresh home's first build
parses the whole dbt project (the partial-parse state in Cosmos's cache was built for another home's profile)
and its first reports start the triggerer's imports. What remains of the reporting is Airflow's work per
started-from-trigger task (the triggerer deserializes the DAG twice for each, and each task it ends sends the
DAG processor a callback request, which parses olist_batch.py again). Then the first build's full parse went:
dbt keys its partial-parse state on the command's --profile and --target, which `make manifest` did not pass
(olist_dw.dbt_runner.profile_args). Same bench, same day: median 43.3 s (runs 51.5, 35.0; producer of run 1
23.8 s) -> 40.2 s (48.4, 32.0; 18.6 s). The same code on another day's idle machine: median 26.1 s (producer 10.9,
reporting 6.6), and 32.6 s with the realtime DAGs live (producer 13.0, reporting 8.2): the reports start after
the build by design (above), so they stay about a quarter of the run.

A second try still happens without retries: when the scheduler dies mid-build and restarts, it resets the
producer's orphaned try (LocalExecutor cannot adopt it) and queues a new one. Cosmos would skip it, its
sensors (downstream of it here) would be skipped too, and the run would end `success` with nothing built or
published. So the project's producer fails a second try instead, naming the cause; the run fails and a
re-run (idempotent) builds. Measured in the live crash test (`pytest -m crash_recovery tests/live`).

One module builds both uses of Cosmos: the batch's `dbt_task_group()` and the micro-batch's single
`dbt_build_task()`. What differs per target (profile, environment, the writers' pool) comes from the target
object (olist_dw.targets): locally dbt-duckdb from profiles.yml; on AWS a profile mapping built from the
Airflow connection, so no password is ever written to a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from airflow.sdk.exceptions import AirflowFailException
from cosmos import DbtTaskGroup, ExecutionConfig, ProjectConfig, RenderConfig
from cosmos.constants import PRODUCER_WATCHER_TASK_ID, ExecutionMode, InvocationMode, LoadMode, TestBehavior
from cosmos.operators._watcher.base import BaseConsumerSensor
from cosmos.operators._watcher.state import is_dbt_node_status_success, is_dbt_node_status_terminal
from cosmos.operators.watcher import DbtProducerWatcherOperator

from olist_dw.cosmos_reporting import start_from_triggerer
from olist_dw.dbt_artifacts import KEEP_RUN_RESULTS_CALLBACK
from olist_dw.dbt_runner import MANIFEST_PATH
from olist_dw.settings import DBT_PROJECT_DIR
from olist_dw.targets import Target

EXECUTION_MODE = ExecutionMode.WATCHER
EXECUTION_MODE_NOTE = (
    "WATCHER: one `dbt build` writer in the olist_warehouse pool, per-model sensors; "
    "chosen over LOCAL+TestBehavior.BUILD, which runs one dbt invocation per model"
)


def project_config() -> ProjectConfig:
    """The dbt project and the manifest the task groups are rendered from."""
    config = ProjectConfig(
        dbt_project_path=DBT_PROJECT_DIR,
        manifest_path=MANIFEST_PATH,
        project_name="olist",
        install_dbt_deps=False,  # no packages: the project's own macros only
    )
    # Cosmos wraps the manifest path in an ObjectStoragePath, whose first open() registers every
    # provider's filesystem (boto3 & co., ~0.4 s of each DAG file's parse). The manifest is a local
    # file: a plain Path reads the same bytes without that cost.
    config.manifest_path = MANIFEST_PATH
    return config


def _pool(target: Target) -> dict[str, str]:
    return {"pool": target.warehouse_pool} if target.warehouse_pool else {}


def execution_config(target: Target) -> ExecutionConfig:
    return ExecutionConfig(
        execution_mode=EXECUTION_MODE,
        invocation_mode=InvocationMode.DBT_RUNNER,
        # The producer's `dbt build` is the warehouse writer: it holds the writers' pool where there is one.
        # Its run_results.json is kept out of Cosmos's temporary project for the data-health page.
        setup_operator_args={
            "retries": 0,
            "callback": KEEP_RUN_RESULTS_CALLBACK,
            "dbt_cmd_flags": list(PRODUCER_DBT_LOG_FLAGS),
            **_pool(target),
        },
    )


# The producer's dbt writes no log of its own: Cosmos logs each dbt event's message to the task log from its
# event callback, and dbt's own loggers only duplicated that work in dbt's threads. Its console logger wrote every
# event as a JSON line (secrets scrubbed, serialised) that Cosmos parsed again only to drop it; its file logger
# wrote every debug event to logs/dbt.log in Cosmos's temporary project, deleted when the task ends. Measured in
# process at SF1, the same build with Cosmos's callback: 12.1-15.0 s with those loggers, 9.4-10.2 s without.
PRODUCER_DBT_LOG_FLAGS = ("--log-level", "none", "--log-level-file", "none")


def render_config(select: list[str]) -> RenderConfig:
    """Render the nodes of `select` (e.g. ["tag:batch"]) from the manifest, never by running dbt."""
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=list(select),
        # Models and their tests run in one `dbt build`: a failing test stops everything downstream.
        test_behavior=TestBehavior.AFTER_EACH,
        emit_datasets=False,  # the DAGs emit the project's own assets (olist_dw.assets)
    )


def dbt_env_args(target: Target) -> dict[str, Any]:
    """dbt's environment for every Cosmos task (paths, target; no secrets)."""
    return {"env": target.dbt_env(), "append_env": True}  # append: keep PATH, HOME, AWS_* of the worker


def operator_args(target: Target) -> dict[str, Any]:
    """Arguments of every task of a Cosmos group; the producer adds its own (`execution_config`).

    The sensors only read the producer's results (XCom): they take no slot of the writers' pool, so the
    micro-batches can write as soon as the `dbt build` ends, and the sensors start side by side. They do not
    retry: a sensor's retry makes Cosmos run its model with dbt (a second writer, outside the pool), and what a
    sensor reports (a model's or a test's result) does not change on a retry."""
    return {**dbt_env_args(target), "retries": 0}


DBT_EVENT_XCOM_SUFFIX = "_dbt_event"  # cosmos.operators._watcher.state.get_dbt_event_xcom_key


def push_dbt_events_of_failures_only(ti: Any) -> None:
    """Keep the producer from pushing dbt events to XCom, except the last one of a node that failed or was skipped.

    Cosmos pushes each node's dbt event four times (started, compiling, executing, finished), and a sensor only
    reads the last, to log its message: each push is a round trip through the execution API (~30 ms) under one
    lock shared by dbt's threads. Measured under the live scheduler at scale 0.05: 1185 pushes took 38 s of an
    80 s build, 944 of them events. What is kept is what a reader needs: the message of what broke (logged by
    the sensor, or by olist_dw.cosmos_reporting's trigger). The statuses and compiled SQL the sensors report
    are pushed as before."""
    push = ti.xcom_push

    def push_unless_routine_event(key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        status = value.get("status") if isinstance(value, dict) else None
        broke = is_dbt_node_status_terminal(status) and not is_dbt_node_status_success(status)
        if key.endswith(DBT_EVENT_XCOM_SUFFIX) and not broke:
            return None
        return push(key, value, *args, **kwargs)

    object.__setattr__(ti, "xcom_push", push_unless_routine_event)  # a pydantic model: bypass its setattr


@contextmanager
def without_cosmos_xcom_backup() -> Iterator[None]:
    """Cosmos's "reliable retry" off for the block: with it on, every XCom push of the producer also rewrites one
    Airflow Variable holding all of the build's XComs so far, compressed (a backup a skipped second try
    restores), so the work grows with the square of the pushes. The project's producer fails a second try
    instead, and never reads that backup."""
    from cosmos import settings as cosmos_settings

    before = cosmos_settings.enable_watcher_reliable_retry
    cosmos_settings.enable_watcher_reliable_retry = False
    try:
        yield
    finally:
        cosmos_settings.enable_watcher_reliable_retry = before


class DbtProducerFailingASecondTry(DbtProducerWatcherOperator):
    """Cosmos's producer (the one `dbt build`), except that a second try fails instead of being skipped, and that
    it pushes only the XComs its sensors need (push_dbt_events_of_failures_only, without_cosmos_xcom_backup)."""

    def execute(self, context: Any, **kwargs: Any) -> Any:
        try_number = context["ti"].try_number
        if try_number > 1:
            raise AirflowFailException(
                f"the dbt build of try {try_number - 1} was interrupted before it finished (the scheduler or the "
                "worker died). A build cannot be resumed, and a skipped build would publish nothing: trigger "
                f"{context['dag'].dag_id} again (a re-run gives the same warehouse)."
            )
        push_dbt_events_of_failures_only(context["ti"])
        with without_cosmos_xcom_backup():
            return super().execute(context, **kwargs)


def dbt_task_group(group_id: str, select: list[str], target: Target) -> DbtTaskGroup:
    """The project's dbt nodes of `select` as a task group (call inside a DAG context)."""
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=project_config(),
        profile_config=target.dbt_profile_config(),
        execution_config=execution_config(target),
        render_config=render_config(select),
        operator_args=operator_args(target),
    )
    producer = group.children.get(f"{group_id}.{PRODUCER_WATCHER_TASK_ID}")
    if producer is not None:
        producer.__class__ = DbtProducerFailingASecondTry  # Cosmos builds it from a class name: no hook
        sensors = [task for task in group.iter_tasks() if isinstance(task, BaseConsumerSensor)]
        for sensor in sensors:
            report_right_after_the_build(sensor, producer, sensors)
            start_from_triggerer(sensor)  # reports without a worker process (olist_dw.cosmos_reporting)
    return group


def report_right_after_the_build(sensor: Any, producer: Any, sensors: list[Any]) -> None:
    """Make `sensor` depend on the producer only, not on the sensors of its upstream dbt nodes.

    A sensor only reports what the one `dbt build` already did, so the order of the reports is moot, and each
    edge between two sensors costs a scheduler round: with Cosmos's edges the ~80 reports ran in a chain as
    deep as the dbt DAG (run, then test, then the next layer): 65 s under the live scheduler. dbt's own order
    is in the dbt docs' lineage graph. Every sensor is then a leaf, so everything downstream of the group
    (publish) waits for every report: a failed test still blocks it."""
    for upstream in [task for task in sensors if task.task_id in sensor.upstream_task_ids]:
        sensor.upstream_task_ids.discard(upstream.task_id)
        upstream.downstream_task_ids.discard(sensor.task_id)
    if producer.task_id not in sensor.upstream_task_ids:
        producer >> sensor


def dbt_build_task(task_id: str, select: list[str], target: Target):
    """One Cosmos `dbt build --select ...` task (call inside a DAG context).

    The same profile, environment, pool and in-process dbt as the task groups, but one task for the whole
    selection. The micro-batch has two small incremental models, and its purpose is freshness: one task
    start-up and one dbt start-up instead of two of each (LOCAL mode), or a producer plus sensors queueing
    on the one-slot warehouse pool (WATCHER). Measured with bench/realtime.py (2 shared cores, 2 s delivery
    buffer), event -> published gold_sim p50/p95: 22.3/32.3 s with a LOCAL task group, 17.9/34.5 s with
    this task without partial parse, 11.6/17.7 s with it. dbt's log lists each model. No per-model Airflow
    assets (`emit_datasets`), as the task groups: ~0.5 s of every micro-batch.
    """
    from cosmos import settings as cosmos_settings
    from cosmos.operators.local import DbtBuildLocalOperator

    return DbtBuildLocalOperator(
        task_id=task_id,
        project_dir=str(DBT_PROJECT_DIR),
        profile_config=target.dbt_profile_config(),
        select=list(select),
        invocation_mode=InvocationMode.DBT_RUNNER,
        install_deps=False,
        # A task group gets a cache folder from Cosmos; a lone operator needs one to keep dbt's partial-parse
        # file between runs (a full parse of the project costs ~5 s of every micro-batch otherwise).
        cache_dir=Path(cosmos_settings.cache_dir) / task_id if cosmos_settings.enable_cache else None,
        callback=KEEP_RUN_RESULTS_CALLBACK,  # run_results.json for the data-health page
        # As the task groups: the DAGs emit the project's own assets (olist_dw.assets); Cosmos's per-model
        # Airflow assets cost ~0.5 s of every micro-batch. Its OpenLineage events are emitted either way.
        emit_datasets=False,
        **dbt_env_args(target),
        **_pool(target),  # the micro-batch's dbt build writes the warehouse
    )
