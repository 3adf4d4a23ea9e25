"""Runs of the simulated shop over adapters the caller passes: ticks back to back, and local delivery.

The local DAGs and the CLI call these with the adapters of their target (olist_dw.targets).
"""

from __future__ import annotations

from collections.abc import Callable

from olist_dw.settings import Settings
from olist_dw.sim import reset, tick
from olist_dw.sim.core import TickResult


class NothingDelivered(Exception):  # noqa: N818 (a signal, not an error: the DAG skips, no asset event)
    """The log had nothing to deliver in the time given."""


def ensure_initialised(store, settings: Settings) -> bool:
    """Seed inventory and clock on first use (a later reset is explicit: `olist-dw simulate --reset`)."""
    if store.load_config() is None:
        reset(store, settings)
        return True
    return False


def run_ticks(
    store,
    stream,
    ticks: int,
    settings: Settings,
    *,
    seed_on_first_tick: bool,
    speed_factor: float | None = None,
    on_tick: Callable[[TickResult], None] | None = None,
) -> dict[str, int]:
    """Run `ticks` ticks back to back (fast-forward); returns totals."""
    if seed_on_first_tick:
        ensure_initialised(store, settings)
    if speed_factor is not None:
        store.set_speed_factor(speed_factor)
    totals = {"ticks": 0, "accepted": 0, "rejected": 0, "items_sold": 0}
    for _ in range(ticks):
        result = tick(store, stream, settings)
        totals["ticks"] += 1
        totals["accepted"] += result.accepted
        totals["rejected"] += result.rejected
        totals["items_sold"] += result.items_sold
        if on_tick:
            on_tick(result)
    return totals


def deliver(delivery, drain: bool = False, max_wait_seconds: float = 55.0) -> list[str]:
    """Deliver the log to bronze-sim/: one buffer-full file (waiting up to `max_wait_seconds` for records),
    or with `drain` everything in the log now. Raises NothingDelivered when no file was written."""
    with delivery:
        if drain:
            files = delivery.drain()
        else:
            item = delivery.deliver_once(wait=True, idle_timeout=max_wait_seconds)
            files = [item] if item else []
    if not files:
        raise NothingDelivered("no new simulated orders in the log")
    return [str(f.path) for f in files]
