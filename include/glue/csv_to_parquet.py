"""AWS Glue job (Spark): the landed Olist CSVs -> snappy Parquet with explicit schemas.

Job arguments: --source_path s3://BUCKET/bronze/  --target_path s3://BUCKET/bronze-parquet/
  --extra-files s3://ARTIFACTS/glue/contract-<sha>/olist_sources.json
  [--quarantine_path s3://BUCKET/quarantine/]  (default: the quarantine/ beside source_path)
Reads bronze/<table>/ (the file as landed, .csv or .csv.gz) and replaces bronze-parquet/<table>/; the rows
it leaves out go, as read and with their reason, to quarantine/glue/<table>/ (CSV). Paths are URIs of any
scheme Spark reads (s3:// in Glue, file:// in the tests).

Glue runs this file without the olist_dw package, so it reads the source contract (schemas, row rules)
from the same JSON file olist_dw.contract reads: the deploy uploads plugins/olist_dw/olist_sources.json
beside this script and the job's --extra-files argument makes Glue copy it into the driver's working
directory before the script starts. Outside Glue (tests) OLIST_SOURCES_CONTRACT names the file, else the
repository's copy is used.

The row rules are Spark column expressions (`rule_checks`: the contract's patterns as regular expressions,
its closed value lists, the timestamp format), so the job runs at Spark's speed: no row passes through
Python. The olist_batch DAG's validate step has already failed the run on an unusable file and quarantined
the bad rows; here the same rules drop those rows again, so Glue converts exactly the rows that validate
kept (tests/batch/test_glue_spark.py runs main() in Spark and compares with the local converter).
Rows validate quarantined for a broken key (the contract's "references": an item whose order, product or
seller was not kept, ...) are dropped by key value: validate (check_contract) writes every broken value
to quarantine/broken_keys.json ({table: {column: [keys]}}), and a row holding one is left out. Spark
cannot number a multi-line CSV's lines, so keys, not lines, say which rows go; a row is dropped by key
exactly when validate dropped it for that key, because validate collects the values from the rows that
passed the same row rules.

The Parquet has the contract's columns and nothing else, with the types the local converter writes
(timestamps zone-less: the source times are Brazil local time without a zone; decimals as INT64): the
raw tables Redshift COPYs into (olist_dw.batch.load.raw_table_ddl) have exactly these columns, in order.
"""

from __future__ import annotations

import json
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CONTRACT_NAME = "olist_sources.json"
BROKEN_KEYS_NAME = "broken_keys.json"  # written by olist_dw.batch.validate under quarantine/
GLUE_QUARANTINE = "glue"  # <quarantine_path>glue/<table>/: the rows this job left out, with their reason
CORRUPT_COLUMN = "_corrupt_record"  # Spark's column for a record with the wrong number of fields
REASON_COLUMN = "_reason"


def contract_path() -> Path:
    """The contract file: $OLIST_SOURCES_CONTRACT, else the working directory (--extra-files puts it
    there in Glue), else the repository's plugins/olist_dw/olist_sources.json."""
    if os.environ.get("OLIST_SOURCES_CONTRACT"):
        return Path(os.environ["OLIST_SOURCES_CONTRACT"])
    here = Path.cwd() / CONTRACT_NAME
    if here.is_file():
        return here
    return Path(__file__).resolve().parents[2] / "plugins" / "olist_dw" / CONTRACT_NAME


def load_contract(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


CONTRACT = load_contract(contract_path())
TIMESTAMP_FORMAT: str = CONTRACT["timestamp_format"]
# table -> (file name, [(column, kind, nullable)])
SCHEMAS: dict[str, tuple[str, list[tuple[str, str, bool]]]] = {
    spec["table"]: (spec["file"], [(name, kind, "nullable" in flags) for name, kind, *flags in spec["columns"]])
    for spec in CONTRACT["sources"]
}
# Row rules: a full-match pattern per kind and the closed value lists of a few columns.
PATTERNS: dict[str, str] = dict(CONTRACT["patterns"])
VALUE_LISTS: dict[str, tuple[str, ...]] = {name: tuple(v) for name, v in CONTRACT["value_lists"].items()}
VALUE_LISTS["brazil_states"] = tuple(sorted(CONTRACT["brazil_states"]))  # the state codes
ALLOWED_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    (rule["table"], rule["column"]): VALUE_LISTS[rule["values"]] for rule in CONTRACT["allowed_values"]
}

# Spark SQL type of each kind (zip prefixes and ids stay text). Timestamps are zone-less (TIMESTAMP_NTZ:
# Parquet TIMESTAMP(isAdjustedToUTC=false), as pyarrow's timestamp('us') of the local converter).
SPARK_TYPES = {
    "id": "string",
    "zip": "string",
    "state": "string",
    "text": "string",
    "int": "int",
    "money": "decimal(12,2)",
    "float": "double",
    "timestamp": "timestamp_ntz",
}

_STRPTIME_TO_SPARK = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss"}


def spark_datetime_pattern(strptime_format: str) -> str:
    """The contract's strptime format as a Spark datetime pattern ('%Y-%m-%d %H:%M:%S' -> 'yyyy-MM-dd HH:mm:ss')."""
    unknown = set(re.findall(r"%.", strptime_format)) - set(_STRPTIME_TO_SPARK)
    if unknown or "'" in strptime_format:
        raise ValueError(f"{CONTRACT_NAME}: timestamp_format {strptime_format!r} uses {sorted(unknown)}")
    return re.sub(r"%.", lambda m: _STRPTIME_TO_SPARK[m.group()], strptime_format)


def java_full_match(pattern: str) -> str:
    """A contract pattern (^...$, full match, as RE2 reads it in validate) for Java's regex: Java's `$` also
    matches before a final line break ('<id>\\n' would pass), `\\z` only at the very end."""
    if not (pattern.startswith("^") and pattern.endswith("$")) or pattern.endswith("\\$"):
        raise ValueError(f"{CONTRACT_NAME}: pattern {pattern!r} must be anchored as ^...$")
    return pattern[:-1] + r"\z"


SPARK_TIMESTAMP_FORMAT = spark_datetime_pattern(TIMESTAMP_FORMAT)


def parse_args(argv: list[str]) -> dict[str, str]:
    """--name value pairs of the job run (getResolvedOptions does the same inside Glue). Paths are URIs
    (s3://... in Glue, file:///... in tests); each ends with '/'."""
    args = {}
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag.startswith("--"):
            args[flag[2:]] = value
    if "quarantine_path" not in args and args.get("source_path"):  # the lake's layout: bronze/, quarantine/
        args["quarantine_path"] = args["source_path"].rstrip("/").rsplit("/", 1)[0] + "/quarantine"
    for name in ("source_path", "target_path", "quarantine_path"):
        if not re.match(r"^[a-z][a-z0-9+.-]*://.", args.get(name) or ""):
            raise ValueError(f"--{name} must be a URI such as s3://BUCKET/prefix/, got {args.get(name)!r}")
        args[name] = args[name].rstrip("/") + "/"
    return args


def read_broken_keys(text: str) -> dict[str, dict[str, list[str]]]:
    """broken_keys.json: {table: {column: [key values validate found broken]}}."""
    data = json.loads(text)
    if not isinstance(data, dict) or any(t not in SCHEMAS for t in data):
        raise ValueError(f"{BROKEN_KEYS_NAME}: expected {{table: {{column: [keys]}}}} of the contract's tables")
    for table, columns in data.items():
        names = [name for name, _, _ in SCHEMAS[table][1]]
        if not isinstance(columns, dict) or any(c not in names for c in columns):
            raise ValueError(f"{BROKEN_KEYS_NAME}: {table} names a column that is not in the contract")
    return data


def text_schema(table: str):
    """Every column as read (text) plus Spark's corrupt-record column: the schema the CSV is read with."""
    from pyspark.sql.types import StringType, StructField, StructType

    columns = [StructField(name, StringType(), True) for name, _, _ in SCHEMAS[table][1]]
    return StructType([*columns, StructField(CORRUPT_COLUMN, StringType(), True)])


def rule_checks(table: str, broken_keys: dict[str, list[str]] | None = None) -> list:
    """(broken, reason) pairs, Spark columns, in the order validate applies the rules: the field count, then
    per column required, pattern (a timestamp also a real calendar time), allowed values; then the keys
    validate found broken (`broken_keys`, {column: values}, this table's part of broken_keys.json)."""
    from pyspark.sql import functions as F

    columns = SCHEMAS[table][1]
    checks = [(F.col(CORRUPT_COLUMN).isNotNull(), f"wrong number of fields: expected {len(columns)}")]
    for name, kind, nullable in columns:
        value = F.coalesce(F.col(name), F.lit(""))  # Spark reads an unquoted empty field as null
        filled = value != ""
        if not nullable:
            checks.append((~filled, f"{name}: required value is empty"))
        if kind in PATTERNS:
            broken = ~value.rlike(java_full_match(PATTERNS[kind]))
            if kind == "timestamp":  # the pattern alone accepts 2017-02-30
                broken = broken | F.to_timestamp_ntz(value, F.lit(SPARK_TIMESTAMP_FORMAT)).isNull()
            checks.append((filled & broken, f"{name}: {kind} rule"))
        allowed = ALLOWED_VALUES.get((table, name))
        if allowed:
            checks.append((filled & ~value.isin(list(allowed)), f"{name}: value not allowed"))
    for name, keys in (broken_keys or {}).items():
        if keys:  # isin becomes a hash-set lookup (InSet) past a few values
            checks.append((F.col(name).isin(list(keys)), f"{name}: broken key ({BROKEN_KEYS_NAME})"))
    return checks


def reason_column(table: str, broken_keys: dict[str, list[str]] | None = None):
    """The first broken rule of each row, null for a row to keep."""
    from pyspark.sql import functions as F

    return F.coalesce(*[F.when(broken, F.lit(reason)) for broken, reason in rule_checks(table, broken_keys)])


def typed_columns(table: str) -> list:
    """A kept row's text values -> the contract's types (an empty field -> null)."""
    from pyspark.sql import functions as F

    typed = []
    for name, kind, _ in SCHEMAS[table][1]:
        value = F.when(F.col(name) != "", F.col(name))
        if kind == "timestamp":
            value = F.to_timestamp_ntz(value, F.lit(SPARK_TIMESTAMP_FORMAT))
        elif SPARK_TYPES[kind] != "string":
            value = value.cast(SPARK_TYPES[kind])
        typed.append(value.alias(name))
    return typed


def read_landed(spark, table: str, source_path: str):
    """bronze/<table>/ as text columns (multi-line: review texts hold line breaks inside quotes)."""
    return (
        spark.read.schema(text_schema(table))
        .option("header", True)
        .option("multiLine", True)
        .option("quote", '"')
        .option("escape", '"')
        .option("encoding", "UTF-8")
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_COLUMN)
        .csv(f"{source_path}{table}/")
    )


def checked_rows(spark, table: str, paths: dict[str, str], broken_keys: dict[str, list[str]]):
    """bronze/<table>/ as read, with the reason of each row to leave out (null: keep it)."""
    return read_landed(spark, table, paths["source_path"]).withColumn(REASON_COLUMN, reason_column(table, broken_keys))


def convert_table(spark, table: str, paths: dict[str, str], broken_keys: dict[str, list[str]]) -> dict[str, int]:
    """One table: its kept rows, typed, replace <target_path><table>/; its left-out rows, as read and with
    their reason, replace <quarantine_path>glue/<table>/. Returns the rows read and left out.

    The conversion counts the left-out rows as it writes (an Observation: no second pass), so a file with
    none is parsed once; only a file with left-out rows (few: validate failed the run on a file with too
    many) is read a second time to write them."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    counts = Observation(f"rows of {table}")
    checked = checked_rows(spark, table, paths, broken_keys).observe(
        counts, F.count(F.lit(1)).alias("rows"), F.count(F.col(REASON_COLUMN)).alias("left_out")
    )
    (
        checked.filter(F.col(REASON_COLUMN).isNull())
        .select(typed_columns(table))
        .write.mode("overwrite")
        .option("compression", "snappy")
        .parquet(f"{paths['target_path']}{table}/")
    )
    result = {"rows": counts.get["rows"], "left_out": counts.get["left_out"]}
    names = [name for name, _, _ in SCHEMAS[table][1]]
    left_out = (
        checked_rows(spark, table, paths, broken_keys)
        .filter(F.col(REASON_COLUMN).isNotNull())
        .select(REASON_COLUMN, *names, CORRUPT_COLUMN)
    )
    if not result["left_out"]:  # an empty folder replaces the last run's, without reading the file again
        left_out = spark.createDataFrame([], left_out.schema)
    (
        left_out.write.mode("overwrite")
        .option("header", True)
        .option("escape", '"')
        .option("ignoreLeadingWhiteSpace", False)  # the values as read (the writer trims by default)
        .option("ignoreTrailingWhiteSpace", False)
        .csv(f"{paths['quarantine_path']}{GLUE_QUARANTINE}/{table}/")
    )
    return result


def configure(spark) -> None:
    """Session settings the conversion relies on, whatever the cluster's defaults."""
    # Zone-less source times stay as written (TIMESTAMP_NTZ); an impossible time is null, not an error
    # (CORRECTED: Spark 3's strict parser, no "different result since Spark 3.0" exception).
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    spark.conf.set("spark.sql.ansi.enabled", "false")
    spark.conf.set("spark.sql.parquet.writeLegacyFormat", "false")  # decimal(12,2) as INT64, as pyarrow
    # No _SUCCESS marker beside the parts: COPY ... FORMAT AS PARQUET reads every object under the prefix.
    spark.conf.set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")


def main() -> None:
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    names = ["JOB_NAME", "source_path", "target_path"]
    optional = ["quarantine_path"] if "--quarantine_path" in sys.argv else []
    options = getResolvedOptions(sys.argv, names + optional)
    paths = parse_args([arg for name in names[1:] + optional for arg in (f"--{name}", options[name])])
    glue = GlueContext(SparkContext.getOrCreate())
    spark = glue.spark_session
    broken_keys_uri = f"{paths['quarantine_path']}{BROKEN_KEYS_NAME}"
    try:
        ((_, text),) = spark.sparkContext.wholeTextFiles(broken_keys_uri).collect()
    except Exception as err:  # noqa: BLE001 - Spark raises Py4J errors; the message says what to do
        raise RuntimeError(
            f"{broken_keys_uri} not readable ({err.__class__.__name__}): the olist_batch DAG's check_contract "
            "writes it before this job runs; run the DAG, not the job alone"
        ) from err
    broken_keys = read_broken_keys(text)
    configure(spark)
    job = Job(glue)
    job.init(options["JOB_NAME"], options)
    # A multi-line CSV is read by one task: the tables' jobs run side by side so every core has work.
    with ThreadPoolExecutor(max_workers=len(SCHEMAS)) as pool:
        runs = [pool.submit(convert_table, spark, t, paths, broken_keys.get(t, {})) for t in SCHEMAS]
        for table, run in zip(SCHEMAS, runs, strict=True):
            counts = run.result()  # the first table's error, if any
            print(f"{table}: {counts['rows']} rows read, {counts['left_out']} left out", flush=True)
    job.commit()


if __name__ == "__main__":
    main()
