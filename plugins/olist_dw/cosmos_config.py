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

`dbt_task_group()` puts the producer upstream of the sensors (Cosmos does that for a DbtDag, not for a
DbtTaskGroup): `airflow dags test` runs tasks one at a time, and a sensor picked before the producer would
wait forever. The sensors then only report; the run time is the one `dbt build`. The producer gets no
retries: Cosmos skips a retried producer, which would let the run end without building.

Profiles: locally the project's profiles.yml, target `local` (dbt-duckdb, file from OLIST_WAREHOUSE_PATH);
on AWS a Cosmos profile mapping built from the Airflow connection `settings.redshift_conn_id`, so no
password is ever written to a file.
"""

from __future__ import annotations

from typing import Any

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import PRODUCER_WATCHER_TASK_ID, ExecutionMode, InvocationMode, LoadMode, TestBehavior

from olist_dw.airflow_local import WAREHOUSE_POOL
from olist_dw.dbt_runner import MANIFEST_PATH, dbt_env
from olist_dw.settings import DBT_PROJECT_DIR, Settings, get_settings

DBT_PROFILE_NAME = "olist"
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


def profile_config(settings: Settings | None = None) -> ProfileConfig:
    """dbt-duckdb from the project's profiles.yml locally; dbt-redshift from an Airflow connection on AWS."""
    settings = settings or get_settings()
    if settings.target == "aws":
        from cosmos.profiles import RedshiftUserPasswordProfileMapping

        return ProfileConfig(
            profile_name=DBT_PROFILE_NAME,
            target_name="aws",
            profile_mapping=RedshiftUserPasswordProfileMapping(
                conn_id=settings.redshift_conn_id,
                # dbname comes from the connection's schema field; models set their own schemas.
                profile_args={"schema": "public", "threads": 4, "sslmode": "require"},
            ),
        )
    return ProfileConfig(
        profile_name=DBT_PROFILE_NAME,
        target_name="local",
        profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
    )


def execution_config() -> ExecutionConfig:
    local = get_settings().target == "local"
    return ExecutionConfig(
        execution_mode=EXECUTION_MODE,
        invocation_mode=InvocationMode.DBT_RUNNER,
        # The producer's `dbt build` is the warehouse writer: it holds the one-slot pool locally.
        setup_operator_args={"retries": 0, **({"pool": WAREHOUSE_POOL} if local else {})},
    )


def render_config(select: list[str]) -> RenderConfig:
    """Render the nodes of `select` (e.g. ["tag:batch"]) from the manifest, never by running dbt."""
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=list(select),
        # Models and their tests run in one `dbt build`: a failing test stops everything downstream.
        test_behavior=TestBehavior.AFTER_EACH,
        emit_datasets=False,  # the DAGs emit the project's own assets (olist_dw.assets)
    )


def operator_args(settings: Settings | None = None) -> dict[str, Any]:
    """Arguments of every Cosmos task: dbt's environment (paths, target; no secrets)."""
    settings = settings or get_settings()
    args: dict[str, Any] = {
        "env": dbt_env(settings),
        "append_env": True,  # keep PATH, HOME, AWS_* of the worker
    }
    if settings.target == "local":
        # Sensors fall back to running their model with dbt on a retry: that is a writer too.
        args["pool"] = WAREHOUSE_POOL
    else:
        # Redshift: marts and gold are built into `<schema>__build` and swapped in by publish
        # (olist_dw.batch.publish); the project's generate_schema_name appends this suffix to them.
        from olist_dw.batch.publish import BUILD_SUFFIX

        args["env"]["OLIST_DBT_SCHEMA_SUFFIX"] = BUILD_SUFFIX
    return args


def dbt_task_group(group_id: str, select: list[str], settings: Settings | None = None) -> DbtTaskGroup:
    """The project's dbt nodes of `select` as a task group (call inside a DAG context)."""
    settings = settings or get_settings()
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=project_config(),
        profile_config=profile_config(settings),
        execution_config=execution_config(),
        render_config=render_config(select),
        operator_args=operator_args(settings),
    )
    producer = group.children.get(f"{group_id}.{PRODUCER_WATCHER_TASK_ID}")
    if producer is not None:
        for task in group.children.values():
            if task is not producer and not task.upstream_task_ids:
                producer >> task
    return group
