"""publish: make this run's marts and gold visible to readers, only after every dbt test passed.

The publish task runs only when the whole transform task group succeeded (a failed test fails the
`dbt build` and its sensors), so reaching it means the build is valid.

Local: `olist_dw.warehouse.publish` copies `marts` and `gold` of the build file into a new snapshot and
renames it onto serving/analytics.duckdb (readers see the old or the new snapshot, never a mix).

AWS (Redshift): dbt builds marts and gold into `marts__build` and `gold__build` (OLIST_DBT_SCHEMA_SUFFIX,
read by the project's generate_schema_name on the aws target); publishing swaps them with the live
schemas by renaming inside one transaction, so `bi_analyst` sees the old or the new schemas, never a
half-built one, and a failed run leaves the live schemas untouched.
"""

from __future__ import annotations

from pathlib import Path

from olist_dw.warehouse import publish

PUBLISHED_SCHEMAS = ("marts", "gold")
BUILD_SUFFIX = "__build"
PREVIOUS_SUFFIX = "__previous"


def publish_local(warehouse_path: Path, serving_path: Path) -> dict[str, int]:
    """Snapshot marts+gold into the serving file; returns the row count of each published table."""
    return publish(warehouse_path, serving_path, PUBLISHED_SCHEMAS)


def redshift_swap_sql(bi_role: str = "bi_analyst", schemas: tuple[str, ...] = PUBLISHED_SCHEMAS) -> list[str]:
    """One transaction that swaps each `<schema>__build` in place of `<schema>` (kept until the commit).

    Renaming a schema is a catalog change: it is transactional on Redshift and takes no time, whatever
    the size of the tables. The first run has no live schema yet: `create schema if not exists` makes the
    swap uniform.
    """
    statements = ["begin"]
    for schema in schemas:
        statements += [
            f"create schema if not exists {schema}",
            f"drop schema if exists {schema}{PREVIOUS_SUFFIX} cascade",
            f"alter schema {schema} rename to {schema}{PREVIOUS_SUFFIX}",
            f"alter schema {schema}{BUILD_SUFFIX} rename to {schema}",
            f"grant usage on schema {schema} to {bi_role}",
            f"grant select on all tables in schema {schema} to {bi_role}",
        ]
    statements.append("commit")
    statements += [f"drop schema if exists {schema}{PREVIOUS_SUFFIX} cascade" for schema in schemas]
    return statements
