"""Row-level rules of the source contract: one regular expression per column kind plus the allowed values
of a few columns, both read from the contract file (olist_dw/olist_sources.json), and the names of the
rules in the quarantine's reason column. The validator applies them vectorised (pyarrow.compute, RE2
syntax); the Glue script reads the same file (plain `re`, same syntax).
"""

from __future__ import annotations

from olist_dw.contract import ALLOWED_VALUES, PATTERNS, Kind

__all__ = ["ALLOWED_VALUES", "FIELD_COUNT_RULE", "NOT_ALLOWED_RULE", "PATTERNS", "REQUIRED_RULE", "RULE_NAMES"]

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

REQUIRED_RULE = "required value is empty"
NOT_ALLOWED_RULE = "value not allowed"
FIELD_COUNT_RULE = "wrong number of fields"
