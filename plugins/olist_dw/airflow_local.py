"""Run Airflow locally on the embedded default: one AIRFLOW_HOME under OLIST_HOME, the project's
dags/ and plugins/, no examples, no telemetry, and the pool that serialises DuckDB writers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from olist_dw import lineage, metadata_db
from olist_dw.docs_site import docs_dir
from olist_dw.errors import UserFacingError
from olist_dw.settings import PROJECT_ROOT, Settings
from olist_dw.targets.local import WAREHOUSE_POOL

# The scheduler's executor (olist_dw.airflow_executor: Airflow's LocalExecutor that preloads the tasks' imports).
LOCAL_EXECUTOR = "olist_dw.airflow_executor.PreloadedLocalExecutor"


def airflow_env(settings: Settings) -> dict[str, str]:
    """The environment a local Airflow process (CLI, scheduler, task) runs with."""
    home = settings.airflow_home
    env = dict(os.environ)
    env.update(
        {
            "OLIST_HOME": str(settings.home),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # LocalExecutor, with dbt, Cosmos and pyarrow imported before it forks (~5 s off every task start).
            "AIRFLOW__CORE__EXECUTOR": LOCAL_EXECUTOR,
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_db.ensure_running(settings),
            "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "DO_NOT_TRACK": "1",
            "SCARF_ANALYTICS": "false",
            # The API server (UI, REST and the tasks' execution API) listens on OLIST_BIND_HOST only.
            "AIRFLOW__API__HOST": str(settings.bind_host),
        }
    )
    # Tasks reach the execution API where the API server listens (Airflow's default, localhost, may resolve
    # to ::1 first); a URL the user set wins.
    # The near-real-time path is a chain of short runs (delivery -> asset event -> micro-batch -> publish): the
    # scheduler's idle sleep (Airflow's default 1 s) was in every hop of it (bench/realtime.py). A value the
    # user set wins.
    env.setdefault("AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME", "0.25")
    port = env.get("AIRFLOW__API__PORT", "8080")
    env.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", f"http://{settings.client_host}:{port}/execution/")
    # Cosmos's Airflow 3 plugin shows the dbt docs `make docs` builds under Browse ("index not found" before).
    env.setdefault(
        "AIRFLOW__COSMOS__DBT_DOCS_PROJECTS",
        json.dumps({"olist": {"dir": str(docs_dir(settings)), "name": "dbt Docs"}}),
    )
    # Lineage: every task's OpenLineage events in OLIST_HOME/lineage/events.jsonl; a transport the user set (a
    # Marquez, docs/operations.md) wins.
    for key, value in lineage.airflow_lineage_env(settings).items():
        env.setdefault(key, value)
    # `airflow standalone` starts its components as `airflow ...` subprocesses found on PATH: put this
    # environment's bin/ first (make runs .venv/bin/olist-dw without activating the venv).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def component_args(args: list[str], settings: Settings) -> list[str]:
    """`airflow ARGS...` as the project runs it: the scheduler's and the triggerer's log servers can only
    listen on every interface, and the API server reads the task logs from the same disk, so they run only
    when OLIST_BIND_HOST opens every interface (0.0.0.0 or ::)."""
    log_server_off = {"--skip-serve-logs", "-s"} & set(args)
    if args[:1] in (["scheduler"], ["triggerer"]) and not settings.bind_host.is_unspecified and not log_server_off:
        return [*args, "--skip-serve-logs"]
    return args


def airflow_executable() -> str:
    local = Path(sys.executable).with_name("airflow")
    return str(local) if local.exists() else (shutil.which("airflow") or "airflow")


def run_airflow(args: list[str], settings: Settings, check: bool = True, **kwargs):
    """Run `airflow ARGS...` with the local environment."""
    env = airflow_env(settings)
    return subprocess.run([airflow_executable(), *component_args(args, settings)], env=env, check=check, **kwargs)


def run_through_ctrl_c(command: list[str], env: dict[str, str]) -> int:
    """Run `command` and wait for it to end, through any Ctrl+C; its exit code (0 when it stopped on a Ctrl+C).

    A terminal's Ctrl+C reaches every process of the foreground group, the child included, and `airflow
    standalone` answers it by stopping its components and reading their output until they end. So the caller
    only waits: `subprocess.run` would SIGKILL the child 0.25 s after the interrupt, leaving the components to
    shut down with no reader on their output (a triggerer hung in its shutdown, unreaped children)."""
    process = subprocess.Popen(command, env=env)
    interrupted = False
    while True:
        try:
            code = process.wait()
        except KeyboardInterrupt:
            interrupted = True
            continue
        return 0 if interrupted else code


WAREHOUSE_POOL_SLOTS = 1


def metadata_db_stamp(settings: Settings) -> Path:
    """What the last `ensure_airflow_db` left: the Airflow version and the database's migration revision."""
    return settings.airflow_home / "olist-metadata-db.json"


def metadata_db_state(url: str) -> dict[str, object] | None:
    """The metadata database's migration revision and the warehouse pool's slots, read directly (a fraction of a
    second, where an `airflow` CLI call takes seconds); None where the database is not migrated or unreachable."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url)
    try:
        with engine.connect() as con:
            revision = con.execute(text("select version_num from alembic_version")).scalar()
            slots = con.execute(text("select slots from slot_pool where pool = :pool"), {"pool": WAREHOUSE_POOL})
            return {"revision": revision, "pool_slots": slots.scalar()}
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def _installed_airflow() -> str:
    from importlib.metadata import version

    return version("apache-airflow")


def ensure_airflow_db(settings: Settings) -> bool:
    """Create or upgrade the local metadata database and the warehouse pool (idempotent); returns whether it ran.

    Every task that writes the local DuckDB warehouse runs in this pool: DuckDB takes one writing process at
    a time, so batch and micro-batch tasks queue here instead of failing on the file lock. Skipped when already
    current: the same Airflow migrated this database to the revision it still has, and the pool is there (every
    `olist-dw airflow ...` call comes through here; `db migrate` and `pools set` cost seconds each)."""
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    url = metadata_db.ensure_running(settings)
    stamp = metadata_db_stamp(settings)
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        recorded = None
    state = metadata_db_state(url)
    if (
        state is not None
        and state["pool_slots"] == WAREHOUSE_POOL_SLOTS
        and recorded == {"airflow": _installed_airflow(), "revision": state["revision"]}
    ):
        return False
    run_airflow(["db", "migrate"], settings, stdout=subprocess.DEVNULL)
    run_airflow(
        [
            "pools",
            "set",
            WAREHOUSE_POOL,
            str(WAREHOUSE_POOL_SLOTS),
            "DuckDB takes one writer: every warehouse writer queues here",
        ],
        settings,
        stdout=subprocess.DEVNULL,
    )
    state = metadata_db_state(url)
    if state:
        stamp.write_text(json.dumps({"airflow": _installed_airflow(), "revision": state["revision"]}))
    return True


def run_dag(dag_id: str, settings: Settings, log_path: Path, conf: dict | None = None) -> float:
    """Run one real DAG run in-process (`airflow dags test`: every task, the pools, XComs and asset events, no
    scheduler) with its log in `log_path`; returns its seconds, or raises a UserFacingError with the reason."""
    args = ["dags", "test", dag_id]
    if conf:
        args += ["--conf", json.dumps(conf)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, "w") as log:
        result = run_airflow(args, settings, check=False, stdout=log, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - started
    text = log_path.read_text(errors="replace")
    found = re.search(r"DagRun Finished:.*?state=(\w+)", text)
    state = found.group(1) if found else "unknown"
    if result.returncode != 0 or state != "success":
        raise UserFacingError(f"{dag_id} run {state} after {elapsed:.0f} s: {failure_reason(text)} (log: {log_path})")
    return elapsed


def failure_reason(log_text: str) -> str:
    """The most telling error line of a failed run's log."""
    for pattern in (
        r"FileRejectedError: (.*)",
        r"UserFacingError: (.*)",
        r"(Database Error.*|Failure in test.*)",
        r"(?m)^((?:[\w.]+\.)?\w+(?:Error|Exception): .*)$",
    ):
        found = re.findall(pattern, log_text)
        if found:
            return found[-1].strip()
    failed = re.findall(r"Marking task as FAILED.*?task_id=([\w.]+)", log_text)
    return f"task {failed[0]} failed" if failed else "see the log"
