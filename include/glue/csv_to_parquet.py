"""AWS Glue job (Spark): the landed Olist CSVs -> snappy Parquet with explicit schemas.

Job arguments: --source_path s3://BUCKET/bronze/  --target_path s3://BUCKET/bronze-parquet/
Reads bronze/<table>/ (the file as landed, .csv or .csv.gz) and replaces bronze-parquet/<table>/.

Glue runs this file alone, without the olist_dw package, so it carries its own copy of the source
contract (schemas, row rules). tests/batch/test_glue_script.py checks that the copy agrees with
olist_dw.contract and olist_dw.batch.rules, and that `transform_rows` (the pure per-row logic, plain
Python, used by Spark in mapPartitions) gives exactly what the local converter gives. The olist_batch
DAG's validate step has already failed the run on an unusable file and quarantined the bad rows; here the
same rules drop those rows again, so Glue converts exactly the rows that validate kept.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

# table -> (file name, [(column, kind, nullable)]) -- the copy of olist_dw.contract.SOURCES
SCHEMAS: dict[str, tuple[str, list[tuple[str, str, bool]]]] = {
    "customers": (
        "olist_customers_dataset.csv",
        [
            ("customer_id", "id", False),
            ("customer_unique_id", "id", False),
            ("customer_zip_code_prefix", "zip", False),
            ("customer_city", "text", False),
            ("customer_state", "state", False),
        ],
    ),
    "geolocation": (
        "olist_geolocation_dataset.csv",
        [
            ("geolocation_zip_code_prefix", "zip", False),
            ("geolocation_lat", "float", False),
            ("geolocation_lng", "float", False),
            ("geolocation_city", "text", False),
            ("geolocation_state", "state", False),
        ],
    ),
    "order_items": (
        "olist_order_items_dataset.csv",
        [
            ("order_id", "id", False),
            ("order_item_id", "int", False),
            ("product_id", "id", False),
            ("seller_id", "id", False),
            ("shipping_limit_date", "timestamp", False),
            ("price", "money", False),
            ("freight_value", "money", False),
        ],
    ),
    "order_payments": (
        "olist_order_payments_dataset.csv",
        [
            ("order_id", "id", False),
            ("payment_sequential", "int", False),
            ("payment_type", "text", False),
            ("payment_installments", "int", False),
            ("payment_value", "money", False),
        ],
    ),
    "order_reviews": (
        "olist_order_reviews_dataset.csv",
        [
            ("review_id", "id", False),
            ("order_id", "id", False),
            ("review_score", "int", False),
            ("review_comment_title", "text", True),
            ("review_comment_message", "text", True),
            ("review_creation_date", "timestamp", False),
            ("review_answer_timestamp", "timestamp", False),
        ],
    ),
    "orders": (
        "olist_orders_dataset.csv",
        [
            ("order_id", "id", False),
            ("customer_id", "id", False),
            ("order_status", "text", False),
            ("order_purchase_timestamp", "timestamp", False),
            ("order_approved_at", "timestamp", True),
            ("order_delivered_carrier_date", "timestamp", True),
            ("order_delivered_customer_date", "timestamp", True),
            ("order_estimated_delivery_date", "timestamp", False),
        ],
    ),
    "products": (
        "olist_products_dataset.csv",
        [
            ("product_id", "id", False),
            ("product_category_name", "text", True),
            ("product_name_lenght", "int", True),
            ("product_description_lenght", "int", True),
            ("product_photos_qty", "int", True),
            ("product_weight_g", "int", True),
            ("product_length_cm", "int", True),
            ("product_height_cm", "int", True),
            ("product_width_cm", "int", True),
        ],
    ),
    "sellers": (
        "olist_sellers_dataset.csv",
        [
            ("seller_id", "id", False),
            ("seller_zip_code_prefix", "zip", False),
            ("seller_city", "text", False),
            ("seller_state", "state", False),
        ],
    ),
    "product_category_name_translation": (
        "product_category_name_translation.csv",
        [
            ("product_category_name", "text", False),
            ("product_category_name_english", "text", False),
        ],
    ),
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

# Row rules -- the copy of olist_dw.batch.rules
PATTERNS = {
    "id": r"^[0-9a-f]{32}$",
    "int": r"^-?[0-9]{1,9}$",
    "money": r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
    "float": r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$",
    "timestamp": r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
    "zip": r"^[0-9]{5}$",
    "state": r"^[A-Z]{2}$",
}
_STATES = (
    "AC AL AM AP BA CE DF ES GO MA MG MS MT PA PB PE PI PR RJ RN RO RR RS SC SE SP TO".split()  # noqa: SIM905
)
ALLOWED_VALUES = {
    ("orders", "order_status"): (
        "delivered",
        "shipped",
        "canceled",
        "unavailable",
        "invoiced",
        "processing",
        "created",
        "approved",
    ),
    ("order_payments", "payment_type"): ("credit_card", "boleto", "voucher", "debit_card", "not_defined"),
    ("order_reviews", "review_score"): ("1", "2", "3", "4", "5"),
    ("customers", "customer_state"): tuple(_STATES),
    ("sellers", "seller_state"): tuple(_STATES),
    ("geolocation", "geolocation_state"): tuple(_STATES),
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


def transform_rows(table: str, rows: Iterable[list[str | None]]) -> Iterator[tuple]:
    """The job's pure transform: drop the rows validate quarantined, type the others."""
    kinds = [kind for _, kind, _ in SCHEMAS[table][1]]
    for values in rows:
        if row_reason(table, values) is None:
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
    return args


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

    options = getResolvedOptions(sys.argv, ["JOB_NAME", "source_path", "target_path"])
    paths = parse_args(["--source_path", options["source_path"], "--target_path", options["target_path"]])
    glue = GlueContext(SparkContext.getOrCreate())
    spark = glue.spark_session
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
        rows = raw.rdd.mapPartitions(lambda part, t=table: transform_rows(t, (list(r) for r in part)))
        (
            spark.createDataFrame(rows, spark_schema(table))
            .write.mode("overwrite")
            .option("compression", "snappy")
            .parquet(f"{paths['target_path']}{table}/")
        )
    job.commit()


if __name__ == "__main__":
    main()
