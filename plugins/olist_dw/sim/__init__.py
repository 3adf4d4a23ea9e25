"""The simulated shop (near-real-time path): core, state stores, streams and local delivery.

`open_store()` / `open_stream()` pick the adapters from OLIST_TARGET: SQLite + the embedded log locally,
DynamoDB + Kinesis on AWS. `tick()`, `reset()` and `open_delivery()` are what the Lambda, the DAGs and the
CLI call. AWS libraries are imported only by the AWS adapters.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from olist_dw.settings import Settings, get_settings
from olist_dw.sim.core import SIM_START, TickResult, new_config, run_tick

STATE_FILE = "state.sqlite"
LOG_FILE = "stream.sqlite"
DELIVERY_LOCK_FILE = "delivery.lock"


def state_path(settings: Settings) -> Path:
    return settings.sim_dir / STATE_FILE


def log_path(settings: Settings) -> Path:
    return settings.sim_dir / LOG_FILE


def open_store(settings: Settings | None = None):
    settings = settings or get_settings()
    if settings.target == "aws":
        from olist_dw.sim.dynamodb_store import DynamoDBStateStore

        return DynamoDBStateStore(settings.sim_config_table, settings.sim_inventory_table, settings.aws_region)
    from olist_dw.sim.sqlite_store import SQLiteStateStore

    return SQLiteStateStore(state_path(settings))


def open_stream(settings: Settings | None = None):
    settings = settings or get_settings()
    if settings.target == "aws":
        from olist_dw.sim.kinesis import KinesisStream

        return KinesisStream(settings.kinesis_stream, settings.aws_region)
    from olist_dw.sim.local_log import LocalLog

    return LocalLog(log_path(settings))


def open_delivery(settings: Settings | None = None, log=None):
    """The local delivery (on AWS, Firehose delivers: see infra/)."""
    from olist_dw.sim.delivery import LocalDelivery
    from olist_dw.sim.local_log import LocalLog

    settings = settings or get_settings()
    return LocalDelivery(
        log or LocalLog(log_path(settings)),
        settings.lake_dir,
        settings.delivery_buffer_bytes,
        settings.delivery_buffer_seconds,
        lock_path=settings.sim_dir / DELIVERY_LOCK_FILE,
    )


def tick(store, stream, settings: Settings | None = None) -> TickResult:
    settings = settings or get_settings()
    return run_tick(
        store,
        stream,
        store_key=store.store_key,
        tick_seconds=settings.sim_tick_seconds,
        orders_min=settings.sim_orders_min,
        orders_max=settings.sim_orders_max,
    )


def reset(store, settings: Settings | None = None, speed_factor: float | None = None, start: datetime = SIM_START):
    """Reseed the inventory from the products file and put the clock back to the start."""
    from olist_dw.sim.inventory import build_inventory

    settings = settings or get_settings()
    inventory = build_inventory(settings.effective_source_dir, settings.seed, settings.sim_stock_max)
    store.reset(new_config(settings.seed, speed_factor or settings.sim_speed_factor, start), inventory)
    return inventory
