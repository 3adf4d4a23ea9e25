"""What the real-time DAGs and the CLI run: thin, idempotent entry points over the simulation package."""

from __future__ import annotations

from collections.abc import Callable

from olist_dw.settings import Settings, get_settings
from olist_dw.sim import open_delivery, open_store, open_stream, reset, tick
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
    ticks: int,
    settings: Settings | None = None,
    speed_factor: float | None = None,
    on_tick: Callable[[TickResult], None] | None = None,
) -> dict[str, int]:
    """Run `ticks` ticks back to back (fast-forward); returns totals."""
    settings = settings or get_settings()
    store, stream = open_store(settings), open_stream(settings)
    if settings.target == "local":
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


def deliver(drain: bool = False, max_wait_seconds: float = 55.0, settings: Settings | None = None) -> list[str]:
    """Deliver the log to bronze-sim/: one buffer-full file (waiting up to `max_wait_seconds` for records),
    or with `drain` everything in the log now. Raises NothingDelivered when no file was written."""
    settings = settings or get_settings()
    with open_delivery(settings) as delivery:
        if drain:
            files = delivery.drain()
        else:
            item = delivery.deliver_once(wait=True, idle_timeout=max_wait_seconds)
            files = [item] if item else []
    if not files:
        raise NothingDelivered("no new simulated orders in the log")
    return [str(f.path) for f in files]


def publish_realtime(settings: Settings | None = None) -> dict[str, int]:
    """Publish the realtime schema of the build warehouse to the serving snapshot (carries the others over)."""
    from olist_dw.warehouse import publish

    settings = settings or get_settings()
    return publish(settings.warehouse_path, settings.serving_path, ["realtime"])
