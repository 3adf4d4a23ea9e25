"""Lineage: OpenLineage events of every task (apache-airflow-providers-openlineage), in a local file by default.

What emits what:
- Cosmos's dbt tasks (the batch's `transform.dbt_producer_watcher`, the micro-batch's `dbt_build_realtime`) emit
  their own: Cosmos parses dbt's run_results/manifest with openlineage-integration-common, so the event's inputs
  are the raw tables (and the streamed orders' source) and its outputs every model dbt built, marts included.
- The project's own Python tasks (land, validate, convert, load, publish, publish_realtime, deliver) are
  `@task`s, for which the provider has no extractor: `ProjectTaskExtractor` (registered through
  AIRFLOW__OPENLINEAGE__EXTRACTORS) names what each reads and writes: the source files, the lake prefixes
  (bronze/, quarantine/, bronze-parquet/, bronze-sim/), the raw tables and the published schemas, named as
  dbt's OpenLineage processor names tables (namespace `duckdb://<file>`, name `<catalog>.<schema>.<table>`) so
  that load's outputs are dbt's inputs in one graph (deliver names, besides bronze-sim/, the dbt source
  `sim.orders` that reads it, by dbt's name, so the streamed orders join the micro-batch's graph too).

Transport: `transport_config(settings)` (file, OLIST_HOME/lineage/events.jsonl, one JSON event per line),
set by olist_dw.airflow_local for every local Airflow process unless AIRFLOW__OPENLINEAGE__TRANSPORT is already
set, e.g. to a Marquez (docs/operations.md). The table names are the local target's (DuckDB); on AWS the same
extractor names the S3 lake prefixes, and the Redshift tables come from Cosmos's dbt events only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from olist_dw.settings import Settings, get_settings

NAMESPACE = "olist-dw"
# Where a user points the events elsewhere (Marquez or any OpenLineage backend); then no file transport is set.
USER_TRANSPORT_VARIABLES = {
    "AIRFLOW__OPENLINEAGE__TRANSPORT",
    "AIRFLOW__OPENLINEAGE__CONFIG_PATH",
    "OPENLINEAGE_URL",
    "OPENLINEAGE_CONFIG",
}
# `@task` functions run as this operator class; the provider finds an extractor by the task's class name.
DECORATED_PYTHON_TASK = "_PythonDecoratedOperator"


def events_path(settings: Settings) -> Path:
    return settings.home / "lineage" / "events.jsonl"


def transport_config(settings: Settings) -> dict[str, Any]:
    """OpenLineage's file transport: every event appended to events_path as one JSON line."""
    events_path(settings).parent.mkdir(parents=True, exist_ok=True)  # the transport opens, never creates folders
    return {"type": "file", "log_file_path": str(events_path(settings)), "append": True}


def airflow_lineage_env(settings: Settings) -> dict[str, str]:
    """The [openlineage] options of the local Airflow (AIRFLOW__OPENLINEAGE__*). The file transport only where the
    user configured none: the option would win over OpenLineage's own OPENLINEAGE_URL / OPENLINEAGE_CONFIG."""
    env = {
        "AIRFLOW__OPENLINEAGE__NAMESPACE": NAMESPACE,
        "AIRFLOW__OPENLINEAGE__EXTRACTORS": f"{__name__}.ProjectTaskExtractor",
    }
    if not USER_TRANSPORT_VARIABLES & set(os.environ):
        env["AIRFLOW__OPENLINEAGE__TRANSPORT"] = json.dumps(transport_config(settings))
    return env


def read_events(settings: Settings) -> list[dict[str, Any]]:
    path = events_path(settings)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- what the project's own tasks read and write -----------------------------------------------------------
def _lake_dataset(uri: str) -> tuple[str, str]:
    """(namespace, name) of a lake prefix by OpenLineage's naming: file -> ("file", path), s3 -> ("s3://b", key).

    The local lake's uri() is a plain path (no scheme), which is a file dataset too."""
    scheme, found, rest = uri.partition("://")
    if not found:
        return "file", uri.rstrip("/") or "/"
    if scheme == "file":
        return "file", rest.rstrip("/") or "/"
    bucket, _, key = rest.partition("/")
    return f"{scheme}://{bucket}", key.rstrip("/")


def _duckdb_table(path: Path, schema: str, table: str, catalog: str | None = None) -> tuple[str, str]:
    """As dbt's OpenLineage processor names a dbt-duckdb relation: the file, then catalog.schema.table (the
    catalog is the file's stem unless named: a serving set file's is the one readers query it by)."""
    return f"duckdb://{path}", f"{catalog or path.stem}.{schema}.{table}"


def _published_tables(schemas: list[str]) -> list[tuple[str, str]]:
    """(schema, table) of the dbt models built into `schemas`, from the manifest the DAGs are rendered from."""
    from olist_dw.dbt_runner import MANIFEST_PATH

    if not MANIFEST_PATH.exists():
        return []
    nodes = json.loads(MANIFEST_PATH.read_text())["nodes"].values()
    return sorted(
        (node["schema"], node["alias"])
        for node in nodes
        if node["resource_type"] in ("model", "snapshot") and node["schema"] in schemas
    )


def _source_table(path: Path, source_name: str, table: str) -> list[tuple[str, str]]:
    """A dbt source as dbt's OpenLineage processor names it in Cosmos's events (its schema, then its `name`,
    not its identifier), so that the task writing it and the dbt build reading it meet in one graph."""
    from olist_dw.dbt_runner import MANIFEST_PATH

    if not MANIFEST_PATH.exists():
        return []
    node = json.loads(MANIFEST_PATH.read_text())["sources"].get(f"source.olist.{source_name}.{table}")
    return [_duckdb_table(path, node["schema"], node["name"])] if node else []


def task_datasets(settings: Settings, dag_id: str, task_id: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(inputs, outputs) of one of the project's own tasks as (namespace, name) pairs; ([], []) for others."""
    from olist_dw.batch.publish import PUBLISHED_SCHEMAS
    from olist_dw.contract import SOURCES
    from olist_dw.targets import get_target
    from olist_dw.targets.local import REALTIME_SCHEMA
    from olist_dw.warehouse import catalog_name, set_file

    lake = get_target(settings).lake()

    def prefixes(folder: str) -> list[tuple[str, str]]:
        return [_lake_dataset(lake.uri(f"{folder}/{source.table}/")) for source in SOURCES]

    def raw_tables() -> list[tuple[str, str]]:
        return [_duckdb_table(settings.warehouse_path, "raw", source.table) for source in SOURCES]

    def published(schemas: list[str], path: Path, catalog: str | None = None) -> list[tuple[str, str]]:
        return [_duckdb_table(path, schema, table, catalog) for schema, table in _published_tables(schemas)]

    def served(schemas: list[str], schema_set: str | None = None) -> list[tuple[str, str]]:
        """The tables of `schemas` in the serving file of their set, by the catalog name readers use."""
        path = set_file(settings.serving_path, schema_set)
        return published(schemas, path, catalog_name(settings.serving_path, path))

    key = (dag_id, task_id)
    if key == ("olist_batch", "land"):
        sources = [("file", str(settings.effective_source_dir / source.file_name)) for source in SOURCES]
        return sources, prefixes("bronze")
    if key == ("olist_batch", "validate"):
        return prefixes("bronze"), prefixes("quarantine") + prefixes("bronze-parquet")
    if key == ("olist_batch", "convert"):
        return prefixes("bronze-parquet"), []
    if key == ("olist_batch", "load"):
        return prefixes("bronze-parquet"), raw_tables()
    if key == ("olist_batch", "publish"):
        schemas = list(PUBLISHED_SCHEMAS)
        return published(schemas, settings.warehouse_path), served(schemas)
    if key == ("olist_realtime", "publish_realtime"):
        return published([REALTIME_SCHEMA], settings.warehouse_path), served([REALTIME_SCHEMA], REALTIME_SCHEMA)
    if key == ("olist_sim_delivery", "deliver"):
        # the lake prefix, and the streamed orders' source that dbt reads it as
        return [], [_lake_dataset(lake.uri("bronze-sim/")), *_source_table(settings.warehouse_path, "sim", "orders")]
    return [], []


try:
    from airflow.providers.openlineage.extractors.base import BaseExtractor, OperatorLineage
except ImportError:  # the provider is not installed: no lineage, nothing to register
    BaseExtractor = object  # type: ignore[assignment,misc]


class ProjectTaskExtractor(BaseExtractor):
    """OpenLineage extractor of the project's `@task`s: inputs and outputs from `task_datasets`."""

    @classmethod
    def get_operator_classnames(cls) -> list[str]:
        return [DECORATED_PYTHON_TASK]

    def _lineage(self) -> Any:
        from openlineage.client.event_v2 import Dataset

        inputs, outputs = task_datasets(get_settings(), self.operator.dag_id, self.operator.task_id)
        return OperatorLineage(
            inputs=[Dataset(namespace=ns, name=name) for ns, name in inputs],
            outputs=[Dataset(namespace=ns, name=name) for ns, name in outputs],
        )

    def _execute_extraction(self) -> Any:
        return self._lineage()

    def extract_on_complete(self, task_instance: Any) -> Any:
        return self._lineage()
