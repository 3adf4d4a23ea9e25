"""Stream records checked against the event schema: a valid one becomes a Parquet row, any other a dead letter.

A record is dead-lettered, never retried, when it is not UTF-8 JSON, carries a `schema_version` this code does
not read, misses a required field or breaks any other rule of `order_event.schema.json`, or holds a value the
Parquet types cannot take (an impossible date, a price past decimal(12,2)). Retrying cannot fix any of those,
and one bad record must not hold back the good ones behind it.

Dead letters go to `bronze-sim-errors/` as JSON Lines, one object per record:
`sequence_number`, `arrived_at` (UTC, ISO 8601), `reason` (one of REASONS), `detail` (the rule broken, with its
JSON path), `raw` (the record's bytes as text) and `raw_encoding` ("utf-8", or "base64" for bytes that are not
UTF-8). DuckDB reads them with `read_json('.../bronze-sim-errors/**/*.jsonl')`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from olist_dw.sim.core import event_schema

BRONZE_SIM_ERRORS = "bronze-sim-errors"

MALFORMED_JSON = "malformed_json"
UNKNOWN_SCHEMA_VERSION = "unknown_schema_version"
MISSING_REQUIRED_FIELD = "missing_required_field"
SCHEMA_VIOLATION = "schema_violation"
UNCONVERTIBLE_VALUE = "unconvertible_value"
REASONS = (MALFORMED_JSON, UNKNOWN_SCHEMA_VERSION, MISSING_REQUIRED_FIELD, SCHEMA_VIOLATION, UNCONVERTIBLE_VALUE)

CENT = Decimal("0.01")
DECIMAL_12_2_LIMIT = Decimal(10) ** 10  # decimal(12, 2): ten digits before the point
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class DeadLetter:
    sequence_number: int
    arrived_at: float  # epoch seconds, the log's arrival time
    reason: str
    detail: str
    raw: bytes

    def to_json_line(self) -> str:
        try:
            raw, encoding = self.raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            raw, encoding = base64.b64encode(self.raw).decode("ascii"), "base64"
        return json.dumps(
            {
                "sequence_number": self.sequence_number,
                "arrived_at": datetime.fromtimestamp(self.arrived_at, UTC).isoformat(),
                "reason": self.reason,
                "detail": self.detail,
                "raw": raw,
                "raw_encoding": encoding,
            },
            ensure_ascii=False,
        )


class Rejected(Exception):  # noqa: N818 (internal signal: carries the reason of a dead letter)
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@cache
def _schema() -> dict[str, Any]:
    return event_schema()


@cache
def _validator():
    import jsonschema  # a dependency of Airflow and dbt; imported here so the Lambda never loads it

    return jsonschema.Draft202012Validator(_schema())


def _json_path(path) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def check_event(data: bytes) -> dict[str, Any]:
    """The Parquet row of one stream record, or Rejected with the reason it cannot be one."""
    try:
        event = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError as err:
        raise Rejected(MALFORMED_JSON, f"not UTF-8: {err}") from None
    except json.JSONDecodeError as err:
        raise Rejected(MALFORMED_JSON, f"not valid JSON: {err}") from None
    if not isinstance(event, dict):
        raise Rejected(SCHEMA_VIOLATION, f"$: a JSON object is expected, not {type(event).__name__}")
    known_version = _schema()["properties"]["schema_version"]["const"]
    version = event.get("schema_version")
    if "schema_version" in event and (type(version) is not int or version != known_version):
        raise Rejected(
            UNKNOWN_SCHEMA_VERSION, f"$.schema_version: {version!r} (this delivery reads version {known_version})"
        )
    error = _first_schema_error(event)
    if error is not None:
        reason = MISSING_REQUIRED_FIELD if error.validator == "required" else SCHEMA_VIOLATION
        raise Rejected(reason, f"{_json_path(error.absolute_path)}: {error.message}")
    return _to_row(event)


def _first_schema_error(event: dict[str, Any]):
    validator = _validator()
    if validator.is_valid(event):  # the fast path: every good record
        return None
    from jsonschema.exceptions import best_match

    return best_match(validator.iter_errors(event))


def _decimal_12_2(value: Decimal, path: str) -> Decimal:
    try:
        amount = Decimal(value).quantize(CENT)
    except InvalidOperation:
        raise Rejected(UNCONVERTIBLE_VALUE, f"{path}: {value} does not fit decimal(12,2)") from None
    if abs(amount) >= DECIMAL_12_2_LIMIT:
        raise Rejected(UNCONVERTIBLE_VALUE, f"{path}: {value} does not fit decimal(12,2)")
    return amount


def _timestamp(value: str, path: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Rejected(UNCONVERTIBLE_VALUE, f"{path}: {value!r} is not a valid timestamp") from None


def _to_row(event: dict[str, Any]) -> dict[str, Any]:
    """The schema-valid event with Parquet's types: timestamps, decimal(12,2) amounts, int32 item ids."""
    row = dict(event)
    row["purchased_at"] = _timestamp(event["purchased_at"], "$.purchased_at")
    row["produced_at"] = _timestamp(event["produced_at"], "$.produced_at")
    row["order_total"] = _decimal_12_2(event["order_total"], "$.order_total")
    items = []
    for index, item in enumerate(event["items"]):
        if item["order_item_id"] > INT32_MAX:
            raise Rejected(UNCONVERTIBLE_VALUE, f"$.items[{index}].order_item_id: {item['order_item_id']} > int32")
        items.append({**item, "price": _decimal_12_2(item["price"], f"$.items[{index}].price")})
    row["items"] = items
    return row
