"""Row-level rules of the source contract, as data: one regular expression per column kind plus the
allowed values of a few columns. The validator applies them vectorised (pyarrow.compute, RE2 syntax);
the Glue script keeps a copy (plain `re`, same syntax) and a test checks that both agree.
"""

from __future__ import annotations

from olist_dw.contract import BRAZIL_STATES, ORDER_STATUSES, PAYMENT_TYPES, Kind

# Full-match patterns, valid in RE2 and Python's `re`. TEXT accepts anything.
PATTERNS: dict[Kind, str] = {
    Kind.ID: r"^[0-9a-f]{32}$",
    Kind.INT: r"^-?[0-9]{1,9}$",  # fits int32
    Kind.MONEY: r"^[0-9]{1,10}(\.[0-9]{1,2})?$",  # decimal(12, 2), '.' as decimal point, not negative
    Kind.FLOAT: r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$",
    Kind.TIMESTAMP: r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
    Kind.ZIP: r"^[0-9]{5}$",
    Kind.STATE: r"^[A-Z]{2}$",
}

# What a failing value is called in the quarantine's reason column.
RULE_NAMES: dict[Kind, str] = {
    Kind.ID: "not a 32-character lowercase hex id",
    Kind.INT: "not an integer",
    Kind.MONEY: "not an amount with up to 2 decimals ('.' as decimal point)",
    Kind.FLOAT: "not a number",
    Kind.TIMESTAMP: "not a timestamp YYYY-MM-DD HH:MM:SS",
    Kind.ZIP: "not a 5-digit zip prefix",
    Kind.STATE: "not a Brazilian state code",
}

# Columns whose values come from a closed list: (table, column) -> allowed values.
ALLOWED_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("orders", "order_status"): ORDER_STATUSES,
    ("order_payments", "payment_type"): PAYMENT_TYPES,
    ("order_reviews", "review_score"): ("1", "2", "3", "4", "5"),
    ("customers", "customer_state"): BRAZIL_STATES,
    ("sellers", "seller_state"): BRAZIL_STATES,
    ("geolocation", "geolocation_state"): BRAZIL_STATES,
}

REQUIRED_RULE = "required value is empty"
NOT_ALLOWED_RULE = "value not allowed"
FIELD_COUNT_RULE = "wrong number of fields"
