"""publish: make this run's marts and gold visible to readers, only after every dbt test passed.

The publish task runs only when the whole transform task group succeeded (a failed test fails the
`dbt build` and its sensors), so reaching it means the build is valid.

Local: `olist_dw.warehouse.publish` copies `marts` and `gold` of the build file into a new file and
renames it onto serving/analytics.duckdb, the batch's set file (readers see the old or the new marts and
gold, never a mix). Only this set is copied: the realtime set lives in its own file beside it
(serving/analytics.realtime.duckdb, published by the micro-batch), which a batch publish neither reads
nor copies; readers attach both (`warehouse.connect_read_only`).

AWS (Redshift): dbt builds marts and gold into `marts__build` and `gold__build` (OLIST_DBT_SCHEMA_SUFFIX,
read by the project's generate_schema_name on the aws target); publishing swaps them with the live
schemas by renaming inside one transaction, so `bi_analyst` sees the old or the new schemas, never a
half-built one, and a failed run leaves the live schemas untouched. The swap only swaps: dbt owns the
BI grants (`+grants` on the tables, usage on `marts__build`/`gold__build` on-run-end, macros/grants.sql);
both are on the objects, so they follow the schemas through the rename.

The published schemas are defined once, in the dbt project's vars (`blue_green_schemas`, `bi_schemas`).
"""

from __future__ import annotations

from pathlib import Path

from olist_dw.dbt_runner import project_vars
from olist_dw.warehouse import publish


def published_schemas() -> tuple[str, ...]:
    """The schemas the batch publishes as a whole (dbt var `blue_green_schemas`): marts and gold."""
    return tuple(project_vars()["blue_green_schemas"])


def bi_schemas() -> tuple[str, ...]:
    """Every schema the BI role reads (dbt var `bi_schemas`): the published ones and realtime."""
    return tuple(project_vars()["bi_schemas"])


PUBLISHED_SCHEMAS = published_schemas()
BUILD_SUFFIX = "__build"
PREVIOUS_SUFFIX = "__previous"


def publish_local(warehouse_path: Path, serving_path: Path) -> dict[str, int]:
    """Publish marts+gold as the batch's set file (`serving_path`); returns the row count of each table."""
    return publish(warehouse_path, serving_path, PUBLISHED_SCHEMAS)


def redshift_swap_sql(schemas: tuple[str, ...] = PUBLISHED_SCHEMAS) -> list[str]:
    """One transaction that swaps each `<schema>__build` in place of `<schema>` (kept until the commit).

    Renaming a schema is a catalog change: it is transactional on Redshift and takes no time, whatever
    the size of the tables. The first run has no live schema yet: `create schema if not exists` makes the
    swap uniform. No grant here: dbt granted usage on `<schema>__build` and select on its tables, and
    grants stay with the renamed objects.
    """
    statements = ["begin"]
    for schema in schemas:
        statements += [
            f"create schema if not exists {schema}",
            f"drop schema if exists {schema}{PREVIOUS_SUFFIX} cascade",
            f"alter schema {schema} rename to {schema}{PREVIOUS_SUFFIX}",
            f"alter schema {schema}{BUILD_SUFFIX} rename to {schema}",
        ]
    statements.append("commit")
    statements += [f"drop schema if exists {schema}{PREVIOUS_SUFFIX} cascade" for schema in schemas]
    return statements
