"""AWS Glue job (Spark): the landed Olist CSVs -> snappy Parquet with explicit schemas.

Job arguments: --source_path s3://BUCKET/bronze/  --target_path s3://BUCKET/bronze-parquet/
  --extra-files s3://ARTIFACTS/glue/contract-<sha>/olist_sources.json
  [--quarantine_path s3://BUCKET/quarantine/]  (default: the quarantine/ beside source_path)
Reads bronze/<table>/ (the file as landed, .csv or .csv.gz) and replaces bronze-parquet/<table>/.

Glue runs this file without the olist_dw package, so it reads the source contract (schemas, row rules)
from the same JSON file olist_dw.contract reads: the deploy uploads plugins/olist_dw/olist_sources.json
beside this script and the job's --extra-files argument makes Glue copy it into the driver's working
directory before the script starts. Outside Glue (tests) OLIST_SOURCES_CONTRACT names the file, else the
repository's copy is used. tests/batch/test_glue_script.py checks that `transform_rows` (the pure per-row
logic, plain Python, used by Spark in mapPartitions) gives exactly what the local converter gives. The
olist_batch DAG's validate step has already failed the run on an unusable file and quarantined the bad
rows; here the same rules drop those rows again, so Glue converts exactly the rows that validate kept.
Rows validate quarantined for a broken key (the contract's "references": an item whose order, product or
seller was not kept, ...) are dropped by key value: validate (check_contract) writes every broken value
to quarantine/broken_keys.json ({table: {column: [keys]}}), and a row holding one is left out. Spark
cannot number a multi-line CSV's lines, so keys, not lines, say which rows go; a row is dropped by key
exactly when validate dropped it for that key, because validate collects the values from the rows that
passed the same row rules.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

CONTRACT_NAME = "olist_sources.json"
BROKEN_KEYS_NAME = "broken_keys.json"  # written by olist_dw.batch.validate under quarantine/


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

# Spark SQL type of each kind (zip prefixes and ids stay text).
SPARK_TYPES = {
    "id": "string",
    "zip": "string",
    "state": "string",
    "text": "string",
    "int": "int",
    "money": "decimal(12,2)",
    "float": "double",
    "timestamp": "timestamp",
}

_COMPILED = {kind: re.compile(pattern) for kind, pattern in PATTERNS.items()}


def row_reason(table: str, values: list[str | None]) -> str | None:
    """First broken rule of a row ('column: rule'), None when the row is good (as the validate step)."""
    columns = SCHEMAS[table][1]
    if len(values) != len(columns):
        return f"wrong number of fields: expected {len(columns)}, found {len(values)}"
    for (name, kind, nullable), value in zip(columns, values, strict=True):
        value = value or ""
        if value == "":
            if not nullable:
                return f"{name}: required value is empty"
            continue
        pattern = _COMPILED.get(kind)
        if pattern and not pattern.match(value):
            return f"{name}: {kind} rule"
        if kind == "timestamp":
            try:
                datetime.strptime(value, TIMESTAMP_FORMAT)
            except ValueError:
                return f"{name}: {kind} rule"
        allowed = ALLOWED_VALUES.get((table, name))
        if allowed and value not in allowed:
            return f"{name}: value not allowed"
    return None


def convert_value(kind: str, value: str | None):
    """A validated text value -> the Python value of its Spark type (empty -> None)."""
    if value is None or value == "":
        return None
    if kind == "int":
        return int(value)
    if kind == "money":
        return Decimal(value).quantize(Decimal("0.01"))
    if kind == "float":
        return float(value)
    if kind == "timestamp":
        return datetime.strptime(value, TIMESTAMP_FORMAT)
    return value


def transform_rows(
    table: str, rows: Iterable[list[str | None]], broken_keys: dict[str, Collection[str]] | None = None
) -> Iterator[tuple]:
    """The job's pure transform: drop the rows validate quarantined (a broken row rule, or a value of
    `broken_keys`, {column: values}, this table's part of broken_keys.json), type the others."""
    columns = [name for name, _, _ in SCHEMAS[table][1]]
    kinds = [kind for _, kind, _ in SCHEMAS[table][1]]
    checks = [(columns.index(column), set(values)) for column, values in (broken_keys or {}).items()]
    for values in rows:
        if row_reason(table, values) is None and not any(values[i] in keys for i, keys in checks):
            yield tuple(convert_value(kind, value) for kind, value in zip(kinds, values, strict=True))


def parse_args(argv: list[str]) -> dict[str, str]:
    """--name value pairs of the job run (getResolvedOptions does the same inside Glue)."""
    args = {}
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag.startswith("--"):
            args[flag[2:]] = value
    for required in ("source_path", "target_path"):
        if not args.get(required, "").startswith("s3://"):
            raise ValueError(f"--{required} must be an s3:// prefix, got {args.get(required)!r}")
        args[required] = args[required].rstrip("/") + "/"
    if "quarantine_path" not in args:  # the lake's layout: bronze/ and quarantine/ side by side
        args["quarantine_path"] = args["source_path"].rstrip("/").rsplit("/", 1)[0] + "/quarantine"
    if not args["quarantine_path"].startswith("s3://"):
        raise ValueError(f"--quarantine_path must be an s3:// prefix, got {args['quarantine_path']!r}")
    args["quarantine_path"] = args["quarantine_path"].rstrip("/") + "/"
    return args


def read_broken_keys(text: str) -> dict[str, dict[str, list[str]]]:
    """broken_keys.json: {table: {column: [key values validate found broken]}}."""
    data = json.loads(text)
    if not isinstance(data, dict) or any(t not in SCHEMAS for t in data):
        raise ValueError(f"{BROKEN_KEYS_NAME}: expected {{table: {{column: [keys]}}}} of the contract's tables")
    return data


def spark_schema(table: str, all_strings: bool = False):
    from pyspark.sql.types import StructField, StructType, _parse_datatype_string

    return StructType(
        [
            StructField(name, _parse_datatype_string("string" if all_strings else SPARK_TYPES[kind]), True)
            for name, kind, _ in SCHEMAS[table][1]
        ]
    )


def main() -> None:  # pragma: no cover - runs inside AWS Glue
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
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # source times are zone-less: keep them as written
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    job = Job(glue)
    job.init(options["JOB_NAME"], options)
    for table in SCHEMAS:
        raw = (
            spark.read.schema(spark_schema(table, all_strings=True))
            .option("header", True)
            .option("multiLine", True)  # review texts hold line breaks inside quotes
            .option("quote", '"')
            .option("escape", '"')
            .option("encoding", "UTF-8")
            .csv(f"{paths['source_path']}{table}/")
        )
        dropped = broken_keys.get(table, {})
        rows = raw.rdd.mapPartitions(lambda part, t=table, d=dropped: transform_rows(t, (list(r) for r in part), d))
        (
            spark.createDataFrame(rows, spark_schema(table))
            .write.mode("overwrite")
            .option("compression", "snappy")
            .parquet(f"{paths['target_path']}{table}/")
        )
    job.commit()


if __name__ == "__main__":
    main()
