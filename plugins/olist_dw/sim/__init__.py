"""The simulated shop (near-real-time path): clock, inventory, state stores, streams and local delivery.

What the order generator's Lambda runs, and nothing else: no Airflow, no Cosmos, no warehouse here (a test
checks). The adapters (SQLite or DynamoDB state, the embedded log or Kinesis) are built by the target
(`olist_dw.targets`); `tick()` and `reset()` run the core over whichever the caller passes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from olist_dw.settings import Settings
from olist_dw.sim.core import SIM_START, TickResult, new_config, run_tick

STATE_FILE = "state.sqlite"
LOG_FILE = "stream.sqlite"
DELIVERY_LOCK_FILE = "delivery.lock"


def state_path(settings: Settings) -> Path:
    return settings.sim_dir / STATE_FILE


def log_path(settings: Settings) -> Path:
    return settings.sim_dir / LOG_FILE


def tick(store, stream, settings: Settings, now: Callable[[], datetime] | None = None) -> TickResult:
    """One tick with the settings' sizes (`now`: the wall clock, for tests of claim leases)."""
    return run_tick(
        store,
        stream,
        store_key=store.store_key,
        tick_seconds=settings.sim_tick_seconds,
        orders_min=settings.sim_orders_min,
        orders_max=settings.sim_orders_max,
        **({"now": now} if now else {}),
    )


def reset(store, settings: Settings, speed_factor: float | None = None, start: datetime = SIM_START):
    """Reseed the inventory from the products file and put the clock back to the start."""
    from olist_dw.sim.inventory import build_inventory

    inventory = build_inventory(settings.effective_source_dir, settings.seed, settings.sim_stock_max)
    store.reset(new_config(settings.seed, speed_factor or settings.sim_speed_factor, start), inventory)
    return inventory
