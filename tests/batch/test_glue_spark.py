"""The Glue job include/glue/csv_to_parquet.py runs, main() unchanged, in real Spark (pyspark 3.5.4, the Spark
of Glue 5.0, local[2]) with tests/batch/fake_awsglue/ standing in for Glue's awsglue library, on a landed
bronze/ folder (file:// URIs instead of s3://). Its output equals the local converter's bronze-parquet/ row
for row and type for type (Parquet physical and logical types), its columns are the raw tables' the COPY
loads into, and the rows it leaves out are the rows validate quarantined.

The dataset is the small generated one, damaged the ways validate quarantines: broken keys (cut parent
files, an impossible time), a stray character in an id, a zip prefix followed by a line break inside quotes
(Java's `$` matches before a final line break, RE2's does not), a record with a field missing, a status
outside the allowed values, an empty required value; the reviews (multi-line texts) are landed as .csv.gz.
One SparkSession and one run of the job per module."""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import re
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from olist_dw.batch.land import land_all
from olist_dw.batch.load import raw_table_ddl
from olist_dw.batch.validate import validate_all
from olist_dw.contract import SOURCES, SOURCES_BY_TABLE
from olist_dw.lake import LocalLake
from tests.batch.test_glue_script import load_script

pytestmark = pytest.mark.spark

FAKE_AWSGLUE = Path(__file__).with_name("fake_awsglue")


def break_keys(source_dir: Path) -> None:
    """Cut the last rows of customers, products and sellers (their orders and items lose their parent) and
    give one order an impossible purchase time (its items, payments and reviews go with it)."""
    for table in ("customers", "products", "sellers"):
        path = source_dir / SOURCES_BY_TABLE[table].file_name
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[: len(lines) * 19 // 20]))
    path = source_dir / SOURCES_BY_TABLE["orders"].file_name
    lines = path.read_bytes().splitlines(keepends=True)
    purchase = lines[5].split(b",")[3]
    lines[5] = lines[5].replace(purchase, b"2017-13-45 99:99:99")
    path.write_bytes(b"".join(lines))


def damage_rows(source_dir: Path) -> None:
    """Row-rule breaks validate quarantines (on top of `break_keys`), one per kind of rule."""

    def edit(table: str, line: int, change) -> None:
        path = source_dir / SOURCES_BY_TABLE[table].file_name
        lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
        (fields,) = csv.reader([lines[line]])
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(change(fields))
        lines[line] = out.getvalue()
        path.write_bytes("".join(lines).encode("utf-8"))

    edit("order_payments", 3, lambda f: ["x" + f[0], *f[1:]])  # an id with a stray character
    edit("customers", 4, lambda f: [*f[:2], f[2] + "\n", *f[3:]])  # a line break after the zip prefix
    edit("orders", 7, lambda f: f[:-1])  # a field missing
    edit("orders", 9, lambda f: [*f[:2], "teleported", *f[3:]])  # a status not allowed
    edit("geolocation", 11, lambda f: [*f[:3], "", *f[4:]])  # an empty required city


@pytest.fixture(scope="module")
def spark():
    if not shutil.which("java"):
        pytest.skip("no Java runtime for Spark: `make java` installs Debian's openjdk-17-jre-headless")
    pytest.importorskip("pyspark", reason="pyspark not installed: it is in requirements-dev.txt")
    from pyspark.sql import SparkSession

    # py4j logs its shutdown at INFO from an atexit hook, after pytest closed the streams it captured
    logging.getLogger("py4j").setLevel(logging.WARNING)
    sys.path.insert(0, str(FAKE_AWSGLUE))
    session = (
        SparkSession.builder.master("local[2]")
        .appName("test_glue_spark")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    yield session
    session.stop()
    sys.path.remove(str(FAKE_AWSGLUE))
    for name in [m for m in sys.modules if m == "awsglue" or m.startswith("awsglue.")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def runs(spark, generated_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, LocalLake]:
    """The damaged dataset through the local path (validate writes bronze-parquet/) and the AWS path
    (check_contract, then the Glue job's main() in Spark on the lake's folders)."""
    root = tmp_path_factory.mktemp("glue-spark")
    source = root / "source"
    shutil.copytree(generated_dataset, source)
    break_keys(source)
    damage_rows(source)
    reviews = source / SOURCES_BY_TABLE["order_reviews"].file_name  # landed as .csv.gz, as a user may upload it
    reviews.with_name(reviews.name + ".gz").write_bytes(gzip.compress(reviews.read_bytes()))
    reviews.unlink()
    local, aws = LocalLake(root / "lake"), LocalLake(root / "lake-as-on-aws")
    for lake in (local, aws):
        land_all(lake, source)
    validate_all(local, max_fraction=0.5)
    validate_all(aws, max_fraction=0.5, write_parquet=False)
    job = load_script()
    uri = aws.path("").as_uri().rstrip("/")
    argv = ["csv_to_parquet.py", "--JOB_NAME", "test", "--source_path", f"{uri}/bronze/"]
    argv += ["--target_path", f"{uri}/bronze-parquet/"]
    saved, sys.argv = sys.argv, argv
    try:
        job.main()
    finally:
        sys.argv = saved
    return {"local": local, "aws": aws, "source": source}


def parquet_folder(lake: LocalLake, table: str) -> Path:
    return lake.path(f"bronze-parquet/{table}")


def sort_rows(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: [repr(v) for v in row.values()])


# An INT32 column means a signed 32-bit integer whether or not it carries the Int(32, signed) annotation
# (DuckDB writes it, Spark leaves it out): every reader, Redshift's COPY and Spectrum included, reads both alike.
IMPLICIT_INT32 = ("INT32", "Int(bitWidth=32, isSigned=true)")


def physical_schema(path: Path) -> list[tuple]:
    """(name, physical type, logical type) of every column of one Parquet file; the implicit INT32
    annotation made explicit."""
    schema = pq.ParquetFile(path).schema
    columns = [schema.column(i) for i in range(len(schema))]
    return [
        (
            c.name,
            c.physical_type,
            IMPLICIT_INT32[1] if (c.physical_type, str(c.logical_type)) == ("INT32", "None") else str(c.logical_type),
        )
        for c in columns
    ]


def spark_parts(lake: LocalLake, table: str) -> list[Path]:
    parts = sorted(parquet_folder(lake, table).glob("*.parquet"))
    assert parts, table
    return parts


@pytest.mark.parametrize("table", [s.table for s in SOURCES])
def test_glue_job_keeps_the_rows_and_values_of_the_local_converter(runs, table: str):
    local = pq.read_table(parquet_folder(runs["local"], table) / "part-0.parquet").to_pylist()
    glued = pa.concat_tables([pq.read_table(p) for p in spark_parts(runs["aws"], table)]).to_pylist()
    assert local, table
    assert sort_rows(glued) == sort_rows(local)


def test_the_damage_was_quarantined_by_both(runs):
    """The dataset really holds rows both paths leave out (else the equality above proves less)."""
    report = json.loads(runs["local"].read_bytes("quarantine/validation_report.json"))
    rejected = {f["table"]: f["rejected"] for f in report["files"]}
    for table in ("orders", "order_items", "order_payments", "customers", "geolocation", "order_reviews"):
        assert rejected[table] > 0, table


def test_the_reviews_were_landed_gzipped(runs):
    """The row equality above covers a .csv.gz as landed (Spark picks the codec by the name)."""
    assert runs["aws"].list_keys("bronze/order_reviews/") == ["bronze/order_reviews/olist_order_reviews_dataset.csv.gz"]


@pytest.mark.parametrize("table", [s.table for s in SOURCES])
def test_parquet_types_equal_the_local_converters(runs, table: str):
    """Same columns, same Parquet physical and logical types (decimals INT64, timestamps zone-less, integers
    INT32)."""
    local = physical_schema(parquet_folder(runs["local"], table) / "part-0.parquet")
    for part in spark_parts(runs["aws"], table):
        assert physical_schema(part) == local, part.name


def test_timestamps_are_zone_less_on_both_paths(runs):
    """Source times are Brazil local time without a zone: Parquet TIMESTAMP(isAdjustedToUTC=false), which
    Redshift COPYs into `timestamp` columns as written."""
    for table in ("orders", "order_items", "order_reviews"):
        for path in [parquet_folder(runs["local"], table) / "part-0.parquet", *spark_parts(runs["aws"], table)]:
            schema = pq.read_schema(path)
            times = [f for f in schema if pa.types.is_timestamp(f.type)]
            assert times, path
            assert all(f.type == pa.timestamp("us") and f.type.tz is None for f in times), (path, times)


def ddl_columns(statement: str) -> list[str]:
    """Column names of a CREATE TABLE, quoted or not (commas inside a type's parentheses are not splits)."""
    body = statement[statement.index("(") + 1 : statement.rindex(")")]
    return [part.split()[0].strip('"') for part in re.split(r",(?![^()]*\))", body)]


@pytest.mark.parametrize("table", [s.table for s in SOURCES])
def test_glue_output_columns_equal_the_copy_target(runs, table: str):
    """COPY ... FORMAT AS PARQUET maps columns by position and needs as many in the file as in the table."""
    (statement,) = [s for s in raw_table_ddl() if s.startswith(f"create table if not exists raw.{table} ")]
    for part in spark_parts(runs["aws"], table):
        assert pq.read_schema(part).names == ddl_columns(statement)


def test_only_parquet_under_the_copy_prefix(runs):
    """COPY reads every object under bronze-parquet/<table>/: no _SUCCESS marker beside the parts (the
    .crc files are the local file system's own, S3 has none)."""
    for source in SOURCES:
        names = [p.name for p in parquet_folder(runs["aws"], source.table).iterdir() if not p.name.startswith(".")]
        assert names and all(n.endswith(".parquet") for n in names), names


def quarantined_by_glue(lake: LocalLake, table: str) -> list[dict]:
    rows = []
    for path in sorted(lake.path(f"quarantine/glue/{table}").glob("*.csv")):
        rows += csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline=""))
    return rows


def quarantined_by_validate(lake: LocalLake, table: str) -> list[dict]:
    rows = []
    for key in [k for k in lake.list_keys(f"quarantine/{table}/") if k.endswith(".rejected.csv")]:
        rows += csv.DictReader(io.StringIO(lake.read_bytes(key).decode("utf-8"), newline=""))
    return rows


@pytest.mark.parametrize("table", [s.table for s in SOURCES])
def test_rows_left_out_are_quarantined_with_their_reason(runs, table: str):
    """The Glue job's quarantine/glue/<table>/ holds the rows validate quarantined: as many, the same values
    (rows with the right number of fields), and a reason naming the same column."""
    validated = quarantined_by_validate(runs["aws"], table)
    glued = quarantined_by_glue(runs["aws"], table)
    assert len(glued) == len(validated)
    header = SOURCES_BY_TABLE[table].header

    def whole(rows: list[dict]) -> list[tuple]:
        return sorted(tuple(r[c] for c in header) for r in rows if not r["_reason"].startswith("wrong number"))

    assert whole(glued) == whole(validated)
    column = re.compile(r"^(\w+)[: ]")
    reasons = sorted(column.match(r["_reason"]).group(1) for r in glued)
    assert reasons == sorted(column.match(r["_reason"]).group(1) for r in validated)
