"""The local scheduler's executor: Airflow's LocalExecutor, with the tasks' heavy imports loaded before it forks.

Under a LocalExecutor the scheduler forks its worker processes at start, and each worker forks one process per
task. That task process then imports what its DAG file and operator need, every time: dbt (~3.9 s on this
2-core machine), Cosmos (~0.7 s), pyarrow, the dbt-duckdb adapter. For the micro-batch that was most of its dbt
task (13.3 s, of which dbt's own build took 2.6 s; bench/realtime.py), and it repeated in each of its tasks.
Importing those modules once in the scheduler, before the workers fork, lets every task process inherit them
(copy-on-write). Only imports: no connection, thread or file is opened before the fork.

`make airflow` (olist_dw.airflow_local) selects it: `AIRFLOW__CORE__EXECUTOR=olist_dw.airflow_executor.
PreloadedLocalExecutor`. Elsewhere (Astro, MWAA) the platform's executor runs and tasks import as usual.
"""

from __future__ import annotations

import importlib
import logging
import time

from airflow.executors.local_executor import LocalExecutor

log = logging.getLogger(__name__)

# What the DAGs' tasks import at parse or run time that costs seconds; a module missing here is skipped.
PRELOADED_MODULES = (
    "dbt.cli.main",  # the in-process dbtRunner (Cosmos's InvocationMode.DBT_RUNNER, olist_dw.dbt_runner)
    "dbt.task.build",
    "dbt.adapters.duckdb",
    "cosmos.operators.local",
    "cosmos.operators.watcher",
    "openlineage.common.provider.dbt.local",  # Cosmos's lineage of each dbt run (~1.1 s, imported per task)
    "olist_dw.cosmos_config",  # every DAG file that builds dbt tasks imports it at parse
    "duckdb",
    "pyarrow.parquet",
    # The delivery DAG's one task per Parquet file (olist_sim_delivery): pyarrow's table from Python rows imports
    # pandas, and the event schema check imports jsonschema: 0.4 s of each file's delivery, before its asset event.
    "pandas",
    "olist_dw.sim.delivery",
)


def preload(modules: tuple[str, ...] = PRELOADED_MODULES) -> dict[str, float]:
    """Import `modules` in this process; the seconds each took (an import that fails is logged, not raised:
    the task that needs it will report it)."""
    seconds = {}
    for name in modules:
        started = time.perf_counter()
        try:
            importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 (a scheduler must start even if an optional module is broken)
            log.warning("preload of %s failed: %s", name, error)
            continue
        seconds[name] = time.perf_counter() - started
    return seconds


class PreloadedLocalExecutor(LocalExecutor):
    """LocalExecutor whose workers, and so every task process, start with PRELOADED_MODULES imported."""

    def start(self) -> None:
        seconds = preload()
        log.info("preloaded for the task processes in %.1f s: %s", sum(seconds.values()), ", ".join(seconds))
        super().start()
