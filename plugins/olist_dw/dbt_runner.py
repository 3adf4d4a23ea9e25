"""Running dbt from Python (dbtRunner): environment, profiles and the manifest."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from olist_dw.errors import UserFacingError
from olist_dw.settings import DBT_PROJECT_DIR
from olist_dw.targets.base import DBT_PROFILE_NAME

if TYPE_CHECKING:
    from olist_dw.targets import Target

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


@cache
def project_vars() -> dict[str, Any]:
    """The `vars:` of dbt_project.yml: facts dbt and the Python side share (published schemas, lookback)."""
    import yaml

    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def _given(args: Sequence[str], flag: str) -> bool:
    return any(arg == flag or arg.startswith(f"{flag}=") for arg in args)


def profile_args(target: Target, args: Sequence[str] = ()) -> list[str]:
    """The `--profile` and `--target` every Cosmos task passes, where `args` lacks them.

    dbt keys its partial-parse state on them (and on the vars, the profile's connection and the project's env
    vars): the state `dbt parse` leaves beside the manifest (target/partial_parse.msgpack, which Cosmos copies into
    its builds when it is newer than its cache) then lets the first build after `make manifest` skip a full parse
    of the project (~5 s), and in-process commands and Cosmos builds reuse each other's state. The names come
    from the target's attributes, not its Cosmos ProfileConfig: importing Cosmos imports Airflow (~2 s of an
    in-process build outside a task)."""
    extra = []
    if not _given(args, "--profile"):
        extra += ["--profile", DBT_PROFILE_NAME]
    if not _given(args, "--target"):
        extra += ["--target", target.dbt_target_name]
    return extra


def invoke_dbt(args: list[str], target: Target) -> Any:
    """Invoke dbt in-process with the target's environment; dbt's dbtRunnerResult, whatever its outcome."""
    from dbt.cli.main import dbtRunner

    os.environ.update(target.dbt_env())
    full = [
        *args,
        *profile_args(target, args),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    return dbtRunner().invoke(full)


FAILED_NODE_STATUSES = ("error", "fail", "runtime error")
NODES_NAMED_IN_AN_ERROR = 5


def failed_nodes(result: Any) -> list[str]:
    """`<node>: <dbt's message>` for each node of a dbtRunnerResult that failed or errored (a data test's count
    of failing rows, a model's database error): what the error names, since a quiet command logged nothing."""
    found = []
    for node_result in getattr(result.result, "results", None) or []:
        if str(getattr(node_result, "status", "")) in FAILED_NODE_STATUSES:
            message = " ".join(str(node_result.message or "").split())
            found.append(f"{node_result.node.unique_id}: {message}")
    return found


def run_dbt(args: list[str], target: Target) -> None:
    """Invoke dbt in-process with the target's environment; raise a UserFacingError naming the failed command
    and its failed nodes with dbt's message for each (the first few)."""
    result = invoke_dbt(args, target)
    if not result.success:
        failed = failed_nodes(result)
        detail = "; ".join(failed[:NODES_NAMED_IN_AN_ERROR]) + (
            f"; and {len(failed) - NODES_NAMED_IN_AN_ERROR} more" if len(failed) > NODES_NAMED_IN_AN_ERROR else ""
        )
        raise UserFacingError(f"dbt {' '.join(args)} failed: {result.exception or detail or 'see the log above'}")


def manifest_parse_args(target: Target, dbt_target: str | None = None) -> list[str]:
    """The `dbt parse` of build_manifest (`dbt_target`: a profile output other than the target's own), with the
    --profile and --target of Cosmos's tasks (profile_args)."""
    args = ["parse", "--quiet", *(["--target", dbt_target] if dbt_target else [])]
    return [*args, *profile_args(target, args)]


def build_manifest(target: Target, dbt_target: str | None = None) -> Path:
    """`dbt parse` into target/manifest.json (`dbt_target`: a profile output other than the target's own)."""
    run_dbt(manifest_parse_args(target, dbt_target), target)
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
