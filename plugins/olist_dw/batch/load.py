"""load: bronze-parquet/<table>/ -> the warehouse's raw.<table>, replacing the previous load.

Local: DuckDB, all nine tables in one transaction (a failed load leaves raw as it was), through the
single-writer connection (the task runs in the olist_warehouse pool).
AWS: the provider's S3ToRedshiftOperator, `COPY ... FORMAT AS PARQUET` with the Redshift IAM role, method
REPLACE (DELETE + COPY in one transaction per table); `raw_table_ddl()` creates the tables first.

A raw table has exactly the contract's columns, in the contract's order, with their types, and nothing else:
COPY from Parquet maps the file's columns by position and fails unless the file has as many as the table,
and the Parquet (the local converter's and the Glue job's) holds exactly those columns. One definition,
`column_definitions`, serves Redshift and DuckDB.
"""

from __future__ import annotations

from pathlib import Path

from olist_dw.contract import SOURCES, SQL_TYPES, SourceFile
from olist_dw.lake import BRONZE_PARQUET
from olist_dw.warehouse import connect_for_write, fetch_row

RAW_SCHEMA = "raw"


def column_definitions(source: SourceFile) -> str:
    """The raw table's columns: the source file's, in its order, with the contract's types."""
    return ", ".join(f'"{c.name}" {SQL_TYPES[c.kind]}' for c in source.columns)


def raw_table_ddl(sources: tuple[SourceFile, ...] = SOURCES) -> list[str]:
    """CREATE statements of the raw layer (Redshift and DuckDB alike)."""
    statements = [f"create schema if not exists {RAW_SCHEMA}"]
    statements += [f"create table if not exists {RAW_SCHEMA}.{s.table} ({column_definitions(s)})" for s in sources]
    return statements


def load_local(warehouse_path: Path, lake_dir: Path, sources: tuple[SourceFile, ...] = SOURCES) -> dict[str, int]:
    """Replace raw.* with this run's Parquet, atomically; returns the row count of each table."""
    con = connect_for_write(warehouse_path)
    counts: dict[str, int] = {}
    try:
        con.execute("begin transaction")
        con.execute(f"create schema if not exists {RAW_SCHEMA}")
        for source in sources:
            folder = lake_dir / BRONZE_PARQUET / source.table
            if not any(folder.glob("*.parquet")):
                from olist_dw.errors import UserFacingError

                raise UserFacingError(f"no Parquet to load in {folder}: run the convert step first")
            columns = ", ".join(f'"{c.name}"' for c in source.columns)
            con.execute(f"create or replace table {RAW_SCHEMA}.{source.table} ({column_definitions(source)})")
            con.execute(
                f"insert into {RAW_SCHEMA}.{source.table} select {columns} "
                f"from read_parquet('{folder.as_posix()}/*.parquet')"
            )
            counts[source.table] = fetch_row(con, f"select count(*) from {RAW_SCHEMA}.{source.table}")[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.close()
    return counts
