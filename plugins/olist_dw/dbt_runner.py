"""Running dbt from Python (dbtRunner): environment, profiles and the manifest."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from olist_dw.errors import UserFacingError
from olist_dw.settings import DBT_PROJECT_DIR, Settings, get_settings

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


def dbt_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment variables the dbt profile reads (no secrets: those come from connections)."""
    settings = settings or get_settings()
    return {
        "OLIST_TARGET": settings.target,
        "OLIST_WAREHOUSE_PATH": str(settings.warehouse_path),
        "OLIST_LAKE_DIR": str(settings.lake_dir),
        "DO_NOT_TRACK": "1",
    }


def run_dbt(args: list[str], settings: Settings | None = None) -> None:
    """Invoke dbt in-process; raise a UserFacingError naming the command when it fails."""
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(settings))
    full = [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    result = dbtRunner().invoke(full)
    if not result.success:
        raise UserFacingError(f"dbt {' '.join(args)} failed: {result.exception or 'see the log above'}")


def build_manifest(target: str | None = None) -> Path:
    settings = get_settings()
    args = ["parse", "--quiet"]
    if target:
        args += ["--target", target]
    run_dbt(args, settings)
    return MANIFEST_PATH


def release_in_process_dbt_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after an in-process build.

    Under `airflow dags test` every task runs in one process: dbt (invoked in-process by Cosmos) keeps the
    build file open there, and DuckDB refuses a second handle on the same file in the same process.
    A no-op where dbt-duckdb was never loaded (a fresh task process).
    """
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is None:
        return
    connections.DuckDBConnectionManager.close_all_connections()
    gc.collect()  # the dropped environment owned the last reference to the DuckDB connection
