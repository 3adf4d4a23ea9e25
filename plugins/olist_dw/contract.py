"""The Olist source contract: the nine CSV files, their exact headers and column types.

One definition shared by the generator (what it writes), the validator (what it accepts),
the converter (the explicit Parquet schemas) and the warehouse loader (the raw tables).
The Glue script keeps its own copy of the schemas (it runs inside Glue without this package);
a test checks that both agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    ID = "id"  # 32 lowercase hex characters
    INT = "int"
    MONEY = "money"  # up to 2 decimals, '.' as decimal point -> decimal(12, 2)
    FLOAT = "float"  # coordinates -> double
    TIMESTAMP = "timestamp"  # YYYY-MM-DD HH:MM:SS, no zone (Brazil local time)
    ZIP = "zip"  # 5 characters with leading zeros: text, never an integer
    STATE = "state"  # two upper-case letters
    TEXT = "text"


# Warehouse column types of the raw layer, valid on DuckDB and Redshift alike.
SQL_TYPES: dict[Kind, str] = {
    Kind.ID: "varchar(32)",
    Kind.INT: "integer",
    Kind.MONEY: "decimal(12, 2)",
    Kind.FLOAT: "double precision",
    Kind.TIMESTAMP: "timestamp",
    Kind.ZIP: "varchar(5)",
    Kind.STATE: "varchar(2)",
    Kind.TEXT: "varchar(65535)",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    nullable: bool = False


@dataclass(frozen=True)
class SourceFile:
    file_name: str
    table: str  # raw table name in the warehouse (schema `raw`) and folder name in the lake
    columns: tuple[Column, ...]
    # CSV details of the real files that a byte-for-byte reader must accept.
    bom: bool = False
    crlf: bool = False

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def stem(self) -> str:
        return self.file_name.removesuffix(".csv")


def _cols(*spec: tuple) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


K = Kind
SOURCES: tuple[SourceFile, ...] = (
    SourceFile(
        "olist_customers_dataset.csv",
        "customers",
        _cols(
            ("customer_id", K.ID),
            ("customer_unique_id", K.ID),
            ("customer_zip_code_prefix", K.ZIP),
            ("customer_city", K.TEXT),
            ("customer_state", K.STATE),
        ),
    ),
    SourceFile(
        "olist_geolocation_dataset.csv",
        "geolocation",
        _cols(
            ("geolocation_zip_code_prefix", K.ZIP),
            ("geolocation_lat", K.FLOAT),
            ("geolocation_lng", K.FLOAT),
            ("geolocation_city", K.TEXT),
            ("geolocation_state", K.STATE),
        ),
    ),
    SourceFile(
        "olist_order_items_dataset.csv",
        "order_items",
        _cols(
            ("order_id", K.ID),
            ("order_item_id", K.INT),
            ("product_id", K.ID),
            ("seller_id", K.ID),
            ("shipping_limit_date", K.TIMESTAMP),
            ("price", K.MONEY),
            ("freight_value", K.MONEY),
        ),
    ),
    SourceFile(
        "olist_order_payments_dataset.csv",
        "order_payments",
        _cols(
            ("order_id", K.ID),
            ("payment_sequential", K.INT),
            ("payment_type", K.TEXT),
            ("payment_installments", K.INT),
            ("payment_value", K.MONEY),
        ),
    ),
    SourceFile(
        "olist_order_reviews_dataset.csv",
        "order_reviews",
        _cols(
            ("review_id", K.ID),
            ("order_id", K.ID),
            ("review_score", K.INT),
            ("review_comment_title", K.TEXT, True),
            ("review_comment_message", K.TEXT, True),
            ("review_creation_date", K.TIMESTAMP),
            ("review_answer_timestamp", K.TIMESTAMP),
        ),
    ),
    SourceFile(
        "olist_orders_dataset.csv",
        "orders",
        _cols(
            ("order_id", K.ID),
            ("customer_id", K.ID),
            ("order_status", K.TEXT),
            ("order_purchase_timestamp", K.TIMESTAMP),
            ("order_approved_at", K.TIMESTAMP, True),
            ("order_delivered_carrier_date", K.TIMESTAMP, True),
            ("order_delivered_customer_date", K.TIMESTAMP, True),
            ("order_estimated_delivery_date", K.TIMESTAMP),
        ),
    ),
    SourceFile(
        "olist_products_dataset.csv",
        "products",
        _cols(
            ("product_id", K.ID),
            ("product_category_name", K.TEXT, True),
            ("product_name_lenght", K.INT, True),  # sic: the real header's typo, fixed in staging
            ("product_description_lenght", K.INT, True),
            ("product_photos_qty", K.INT, True),
            ("product_weight_g", K.INT, True),
            ("product_length_cm", K.INT, True),
            ("product_height_cm", K.INT, True),
            ("product_width_cm", K.INT, True),
        ),
    ),
    SourceFile(
        "olist_sellers_dataset.csv",
        "sellers",
        _cols(
            ("seller_id", K.ID),
            ("seller_zip_code_prefix", K.ZIP),
            ("seller_city", K.TEXT),
            ("seller_state", K.STATE),
        ),
    ),
    SourceFile(
        "product_category_name_translation.csv",
        "product_category_name_translation",
        _cols(
            ("product_category_name", K.TEXT),
            ("product_category_name_english", K.TEXT),
        ),
        bom=True,
        crlf=True,
    ),
)

SOURCES_BY_FILE = {s.file_name: s for s in SOURCES}
SOURCES_BY_TABLE = {s.table: s for s in SOURCES}

ORDER_STATUSES = (
    "delivered",
    "shipped",
    "canceled",
    "unavailable",
    "invoiced",
    "processing",
    "created",
    "approved",
)
PAYMENT_TYPES = ("credit_card", "boleto", "voucher", "debit_card", "not_defined")
BRAZIL_STATES = (
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA",
    "PB", "PE", "PI", "PR", "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
)  # fmt: skip
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def needs_quotes(value: str) -> bool:
    """Quoting rule of the real files: a text field is quoted when it starts with a digit
    (ids like "25e8...", zip prefixes like "01037") or holds a comma, quote or line break."""
    return bool(value) and (value[0].isdigit() or any(ch in value for ch in ',"\r\n'))
