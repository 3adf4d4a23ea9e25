"""convert: the good rows of each landed CSV -> snappy Parquet in bronze-parquet/<table>/, explicit schema.

Locally the validate step writes the Parquet in the same pass that checks the file: DuckDB reads each CSV
once, and copies the rows no rule rejected, cast with `typed_select` below, to a staged Parquet file;
`publish_parquet` moves every staged file into bronze-parquet/ once all nine passed. So `convert_all` only
checks that every table's Parquet is there and counts its rows. On AWS the Glue job
include/glue/csv_to_parquet.py does the conversion in Spark, with the same Parquet types.
"""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq

from olist_dw.contract import SOURCES, TIMESTAMP_FORMAT, Kind, SourceFile
from olist_dw.errors import UserFacingError
from olist_dw.lake import BRONZE_PARQUET, Lake, LocalLake

# The DuckDB type each column kind is cast to and written to Parquet as, as the Glue job's Spark writes it:
# DECIMAL(12,2) as INT64, TIMESTAMP as TIMESTAMP(isAdjustedToUTC=false, MICROS); zip prefixes and ids stay text.
PARQUET_TYPES: dict[Kind, str] = {
    Kind.ID: "VARCHAR",
    Kind.ZIP: "VARCHAR",
    Kind.STATE: "VARCHAR",
    Kind.TEXT: "VARCHAR",
    Kind.INT: "INTEGER",
    Kind.MONEY: "DECIMAL(12, 2)",
    Kind.FLOAT: "DOUBLE",
    Kind.TIMESTAMP: "TIMESTAMP",
}
PART_NAME = "part-0.parquet"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def typed_select(source: SourceFile, alias: str = "s") -> str:
    """SELECT list casting validated text columns of `alias` to the contract's types; empty -> NULL."""
    columns = []
    for column in source.columns:
        value = f"nullif({alias}.{quote(column.name)}, '')"
        if column.kind is Kind.TIMESTAMP:
            value = f"strptime({value}, {sql_literal(TIMESTAMP_FORMAT)})"
        elif PARQUET_TYPES[column.kind] != "VARCHAR":
            value = f"cast({value} as {PARQUET_TYPES[column.kind]})"
        columns.append(f"{value} as {quote(column.name)}")
    return ", ".join(columns)


def part_key(table: str) -> str:
    return f"{BRONZE_PARQUET}/{table}/{PART_NAME}"


def publish_parquet(lake: Lake, staged: dict[str, Path]) -> None:
    """Replace bronze-parquet/<table>/ of each table with its staged part (called once every file passed);
    on a local lake the staged file is renamed into place (staged beside it), else uploaded."""
    for table, path in staged.items():
        lake.delete_prefix(f"{BRONZE_PARQUET}/{table}/")
        if isinstance(lake, LocalLake):
            target = lake.path(part_key(table))
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
        else:
            lake.put_file(path, part_key(table))


def parquet_rows(lake: Lake, source: SourceFile) -> int:
    """Row count of bronze-parquet/<table>/ as validate wrote it (the Parquet footer, no CSV parsing)."""
    key = part_key(source.table)
    if key not in lake.list_keys(f"{BRONZE_PARQUET}/{source.table}/"):
        raise UserFacingError(f"no Parquet for {source.table} at {lake.uri(key)}: run the validate step first")
    if isinstance(lake, LocalLake):
        return pq.ParquetFile(lake.path(key)).metadata.num_rows
    return pq.ParquetFile(io.BytesIO(lake.read_bytes(key))).metadata.num_rows


def convert_all(lake: Lake, sources: tuple[SourceFile, ...] = SOURCES) -> dict[str, int]:
    """Check that every table's Parquet is there; returns the row count of each table."""
    return {source.table: parquet_rows(lake, source) for source in sources}
