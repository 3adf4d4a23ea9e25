"""dbt's artifacts of the last build, kept per DAG: `<OLIST_HOME>/dbt-artifacts/<dag_id>/run_results.json`.

Cosmos runs dbt in a temporary copy of the project and deletes it when the task ends, `target/` included, so
the results of the tests dbt ran would be lost. Cosmos calls an operator's `callback` with that copy's path
after dbt returns and before it raises on a failed build (cosmos/operators/local.py, `_handle_post_execution`),
so `keep_run_results` sees the results of failed builds too. `olist_dw.cosmos_config` names it by its import
path (resolved when the task runs: parsing a DAG does not import this module).

The data-health page (olist_dw.dashboard.health) reads what is kept here. `run.json` beside the results
says which run wrote them.
"""

from __future__ import annotations

import json
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from olist_dw.settings import Settings, get_settings

KEEP_RUN_RESULTS_CALLBACK = "olist_dw.dbt_artifacts.keep_run_results"
RUN_RESULTS = "run_results.json"
RUN_INFO = "run.json"

log = logging.getLogger(__name__)


def artifacts_root(settings: Settings) -> Path:
    return settings.home / "dbt-artifacts"


def artifacts_dir(settings: Settings, dag_id: str) -> Path:
    return artifacts_root(settings) / dag_id


def _write_atomically(target: Path, data: bytes) -> None:
    # The dashboard may read while a build ends: it sees the old file or the new one, never half of one.
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)


def keep_run_results(project_dir: str, context: Any = None, **_: Any) -> Path | None:
    """Cosmos callback: copy the build's `target/run_results.json` out of the temporary project.

    Returns where it was kept, or None when dbt wrote none (it failed before running any node: the task
    fails on that error, which a missing artifact must not hide)."""
    source = Path(project_dir) / "target" / RUN_RESULTS
    if not source.is_file():
        log.warning("dbt wrote no %s under %s: nothing kept for the data-health page", RUN_RESULTS, project_dir)
        return None
    ti = (context or {}).get("ti")
    dag_id = getattr(ti, "dag_id", None) or "unknown_dag"
    target = artifacts_dir(get_settings(), dag_id)
    target.mkdir(parents=True, exist_ok=True)
    run_info = {
        "dag_id": dag_id,
        "run_id": getattr(ti, "run_id", None),
        "task_id": getattr(ti, "task_id", None),
        "kept_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_atomically(target / RUN_INFO, json.dumps(run_info).encode())
    tmp = target / f".{RUN_RESULTS}.tmp"
    shutil.copyfile(source, tmp)
    tmp.replace(target / RUN_RESULTS)
    log.info("kept dbt's %s in %s", RUN_RESULTS, target)
    return target / RUN_RESULTS
