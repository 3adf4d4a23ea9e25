"""Run Airflow locally on the embedded default: one AIRFLOW_HOME under OLIST_HOME, the project's
dags/ and plugins/, no examples, no telemetry, and the pool that serialises DuckDB writers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from olist_dw.settings import PROJECT_ROOT, Settings, get_settings

# Every task that writes the local DuckDB warehouse runs in this pool: DuckDB takes one writing
# process at a time, so batch and micro-batch tasks queue here instead of failing on the file lock.
WAREHOUSE_POOL = "olist_warehouse"


def airflow_env(settings: Settings | None = None) -> dict[str, str]:
    """The environment a local Airflow process (CLI, scheduler, task) runs with."""
    settings = settings or get_settings()
    home = settings.airflow_home
    env = dict(os.environ)
    env.update(
        {
            "OLIST_HOME": str(settings.home),
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "DO_NOT_TRACK": "1",
            "SCARF_ANALYTICS": "false",
        }
    )
    # `airflow standalone` starts its components as `airflow ...` subprocesses found on PATH: put this
    # environment's bin/ first (make runs .venv/bin/olist-dw without activating the venv).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def airflow_executable() -> str:
    local = Path(sys.executable).with_name("airflow")
    return str(local) if local.exists() else (shutil.which("airflow") or "airflow")


def run_airflow(args: list[str], settings: Settings | None = None, check: bool = True, **kwargs):
    """Run `airflow ARGS...` with the local environment."""
    env = airflow_env(settings)
    return subprocess.run([airflow_executable(), *args], env=env, check=check, **kwargs)


def ensure_airflow_db(settings: Settings | None = None) -> None:
    """Create or upgrade the local metadata database and the warehouse pool (idempotent)."""
    settings = settings or get_settings()
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    run_airflow(["db", "migrate"], settings, stdout=subprocess.DEVNULL)
    run_airflow(
        ["pools", "set", WAREHOUSE_POOL, "1", "DuckDB takes one writer: every warehouse writer queues here"],
        settings,
        stdout=subprocess.DEVNULL,
    )
