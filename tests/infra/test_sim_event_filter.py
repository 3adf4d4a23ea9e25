"""Events the warehouse cannot read never count: on AWS, Firehose's Parquet conversion writes whatever the stream
carries (an unknown schema_version as is, a missing field as null) where locally delivery dead-letters them,
so stg_sim__order_items leaves them out. Proven on the local target with such a file in bronze-sim/ (the same
model runs on Redshift; its compiled SQL keeps the filter, tests/dbt/test_dbt_project.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from olist_dw.dbt_runner import release_in_process_dbt_duckdb, run_dbt
from olist_dw.settings import get_settings
from olist_dw.sim.delivery import BRONZE_SIM, PARQUET_SCHEMA
from olist_dw.targets import get_target
from olist_dw.targets.base import accepted_event_schema_version


def event(event_id: str | None, schema_version: int, product_id: str | None = "p" * 32) -> dict:
    return {
        "schema_version": schema_version,
        "event_id": event_id,
        "event_type": "order_placed",
        "order_id": (event_id or "0").replace("-", "")[:32].ljust(32, "0"),
        "customer_id": "c" * 32,
        "customer_unique_id": "u" * 32,
        "customer_name": "Maria",
        "customer_city": "sao paulo",
        "customer_state": "SP",
        "customer_zip_code_prefix": "01037",
        "purchased_at": datetime(2026, 12, 2, 9, 0),
        "produced_at": datetime(2026, 12, 2, 12, 0),
        "order_total": Decimal("10.00"),
        "items": [
            {"order_item_id": 1, "product_id": product_id, "product_category": "artes", "price": Decimal("10.00")}
        ],
    }


GOOD = "00000000-0000-4000-8000-000000000001"
FUTURE_VERSION = "00000000-0000-4000-8000-000000000002"
NO_PRODUCT = "00000000-0000-4000-8000-000000000003"


@pytest.fixture
def lake_with_unreadable_events(olist_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One bronze-sim/ file as Firehose would write it: a good event, one of a version this code does not read,
    one without an event id, one whose item has no product."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt-target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt-logs"))
    version = accepted_event_schema_version()
    rows = [
        event(GOOD, version),
        event(FUTURE_VERSION, version + 1),
        event(None, version),
        event(NO_PRODUCT, version, product_id=None),
    ]
    now = datetime.now(UTC)
    folder = get_settings().lake_dir / BRONZE_SIM / f"dt={now:%Y-%m-%d}" / f"hour={now:%H}"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA), folder / "orders-firehose.parquet")
    return folder


def test_staging_leaves_out_unknown_schema_versions_and_missing_fields(lake_with_unreadable_events: Path):
    settings = get_settings()
    try:
        run_dbt(["run", "--select", "stg_sim__order_items", "--quiet"], get_target(settings))
    finally:
        release_in_process_dbt_duckdb()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute("select event_id, schema_version from staging.stg_sim__order_items").fetchall()
    assert rows == [(GOOD, accepted_event_schema_version())]


def test_dbt_gets_the_event_schemas_version(olist_home: Path):
    """One definition: the order event JSON Schema's const, which local delivery's dead-lettering reads too."""
    import json

    from olist_dw.sim.core import SCHEMA_PATH

    const = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["properties"]["schema_version"]["const"]
    assert get_target(get_settings()).dbt_env()["OLIST_SIM_SCHEMA_VERSION"] == str(const)
