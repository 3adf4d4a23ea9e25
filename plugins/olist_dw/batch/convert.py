"""convert: the good rows of each landed CSV -> snappy Parquet in bronze-parquet/<table>/, explicit schema.

Locally the validate step writes the Parquet in the same pass that checks the file (each CSV is parsed
once, `validate_all(..., write_parquet=True)`, with `typed_table` and `replace_parquet` below), so
`convert_all` only checks that every table's Parquet is there and counts its rows. On AWS the Glue job
include/glue/csv_to_parquet.py does the conversion in Spark.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from olist_dw.contract import SOURCES, TIMESTAMP_FORMAT, Kind, SourceFile
from olist_dw.errors import UserFacingError
from olist_dw.lake import BRONZE_PARQUET, Lake

# Parquet (Arrow) type of each column kind: zip prefixes and ids stay text.
ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.ID: pa.string(),
    Kind.ZIP: pa.string(),
    Kind.STATE: pa.string(),
    Kind.TEXT: pa.string(),
    Kind.INT: pa.int32(),
    Kind.MONEY: pa.decimal128(12, 2),
    Kind.FLOAT: pa.float64(),
    Kind.TIMESTAMP: pa.timestamp("us"),
}
PART_NAME = "part-0.parquet"


def arrow_schema(source: SourceFile) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.kind], nullable=c.nullable) for c in source.columns])


def typed_table(source: SourceFile, rows: pa.Table) -> pa.Table:
    """Validated string columns -> the contract's types; an empty field becomes NULL."""
    arrays = []
    for column in source.columns:
        values = rows.column(column.name)
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        if column.kind is Kind.TIMESTAMP:
            values = pc.strptime(values, format=TIMESTAMP_FORMAT, unit="us")
        elif ARROW_TYPES[column.kind] != pa.string():
            values = pc.cast(values, ARROW_TYPES[column.kind])
        arrays.append(values)
    return pa.Table.from_arrays(arrays, schema=arrow_schema(source))


def parquet_bytes(table: pa.Table) -> bytes:
    """Snappy Parquet; decimal(12, 2) stored as INT64, as Spark (the Glue job) writes it."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy", store_decimal_as_integer=True)
    return sink.getvalue()


def part_key(table: str) -> str:
    return f"{BRONZE_PARQUET}/{table}/{PART_NAME}"


def replace_parquet(lake: Lake, parts: dict[str, bytes]) -> None:
    """Replace bronze-parquet/<table>/ of each table with its one part (called once every file passed)."""
    for table, data in parts.items():
        lake.delete_prefix(f"{BRONZE_PARQUET}/{table}/")
        lake.write_bytes(part_key(table), data)


def parquet_rows(lake: Lake, source: SourceFile) -> int:
    """Row count of bronze-parquet/<table>/ as validate wrote it (the Parquet footer, no CSV parsing)."""
    key = part_key(source.table)
    if key not in lake.list_keys(f"{BRONZE_PARQUET}/{source.table}/"):
        raise UserFacingError(f"no Parquet for {source.table} at {lake.uri(key)}: run the validate step first")
    return pq.ParquetFile(io.BytesIO(lake.read_bytes(key))).metadata.num_rows


def convert_all(lake: Lake, sources: tuple[SourceFile, ...] = SOURCES) -> dict[str, int]:
    """Check that every table's Parquet is there; returns the row count of each table."""
    return {source.table: parquet_rows(lake, source) for source in sources}
