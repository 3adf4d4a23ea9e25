"""convert: the good rows of each landed CSV -> snappy Parquet in bronze-parquet/<table>/, explicit schema.

Locally in-process with pyarrow (the same reader and rules as validate, so exactly the rows validate kept);
on AWS the Glue job include/glue/csv_to_parquet.py does the same in Spark.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from olist_dw.batch.validate import check_file, landed_key
from olist_dw.contract import SOURCES, TIMESTAMP_FORMAT, Kind, SourceFile
from olist_dw.lake import BRONZE_PARQUET, Lake

# Parquet (Arrow) type of each column kind: zip prefixes and ids stay text (names.md).
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
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def convert_source(lake: Lake, source: SourceFile) -> int:
    """Replace bronze-parquet/<table>/ with the file's good rows; returns the row count."""
    key = landed_key(lake, source)
    checked = check_file(source, key.rsplit("/", 1)[-1], lake.read_bytes(key))
    table = typed_table(source, checked.good_rows)
    prefix = f"{BRONZE_PARQUET}/{source.table}/"
    lake.delete_prefix(prefix)
    lake.write_bytes(prefix + PART_NAME, parquet_bytes(table))
    return table.num_rows


def convert_all(lake: Lake, sources: tuple[SourceFile, ...] = SOURCES) -> dict[str, int]:
    return {source.table: convert_source(lake, source) for source in sources}
