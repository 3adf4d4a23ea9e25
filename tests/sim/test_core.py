"""The simulation core on the embedded adapters: clock, orders, stock, events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from olist_dw.settings import get_settings
from olist_dw.sim import reset, tick
from olist_dw.sim.core import SIM_START, InventoryItem, new_config, place_order
from olist_dw.sim.inventory import build_inventory
from olist_dw.sim.local_log import LocalLog
from olist_dw.sim.sqlite_store import SQLiteStateStore
from olist_dw.targets import get_target

OLIST_DW = Path(sys.executable).with_name("olist-dw")


def olist_dw(*args: str) -> str:
    """Run the installed `olist-dw` in a process of its own (same OLIST_HOME and settings); returns its output."""
    result = subprocess.run([str(OLIST_DW), *args], capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 0, f"olist-dw {' '.join(args)}: {result.stderr}"
    return result.stdout


def test_ticks_advance_the_clock_and_a_new_store_object_reads_it(sim_home, monkeypatch):
    monkeypatch.setenv("OLIST_SIM_TICK_SECONDS", "30")
    settings = get_settings()
    store = get_target(settings).state_store()
    reset(store, settings, speed_factor=4)
    stream = get_target(settings).stream()
    for _ in range(3):
        result = tick(store, stream, settings)
        assert settings.sim_orders_min <= result.accepted + result.rejected <= settings.sim_orders_max
    store.close()
    # A new store object (its own connection) reads the clock where it stopped: 3 ticks x 30 s x 4.
    reopened = get_target(get_settings()).state_store()
    config = reopened.load_config()
    assert config.simulated_time == SIM_START + timedelta(seconds=3 * 30 * 4)
    assert config.speed_factor == 4


def test_events_validate_and_fall_inside_their_window(sim_home, event_schema):
    settings = get_settings()
    store, stream = get_target(settings).state_store(), get_target(settings).stream()
    reset(store, settings)
    results = [tick(store, stream, settings) for _ in range(20)]
    events = [json.loads(r.data) for r in stream.read(0, 10_000)]
    assert len(events) == sum(r.accepted for r in results) > 0
    windows = [(r.window_start, r.window_end) for r in results for _ in range(r.accepted)]
    for event, (start, end) in zip(events, windows, strict=True):
        jsonschema.validate(event, event_schema)
        assert start <= datetime.fromisoformat(event["purchased_at"]) < end
        assert event["order_total"] == pytest.approx(sum(i["price"] for i in event["items"]))
    assert len({e["event_id"] for e in events}) == len(events)


def test_bad_event_is_refused_by_the_schema(event_schema):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"schema_version": 1, "event_id": "x"}, event_schema)


def test_customer_states_follow_olist_weights(sim_home, monkeypatch):
    monkeypatch.setenv("OLIST_SIM_ORDERS_MIN", "50")
    monkeypatch.setenv("OLIST_SIM_ORDERS_MAX", "50")
    monkeypatch.setenv("OLIST_SIM_STOCK_MAX", "1000")
    settings = get_settings()
    store, stream = get_target(settings).state_store(), get_target(settings).stream()
    reset(store, settings)
    for _ in range(60):
        tick(store, stream, settings)
    states = Counter(json.loads(r.data)["customer_state"] for r in stream.read(0, 100_000))
    share_sp = states["SP"] / sum(states.values())
    assert 0.37 < share_sp < 0.47, share_sp
    assert len(states) > 15


def test_an_order_that_cannot_be_filled_is_rejected_and_releases_its_items(tmp_path):
    store = SQLiteStateStore(tmp_path / "state.sqlite")
    store.reset(
        new_config(1, 1.0),
        [InventoryItem("a" * 32, None, 1, 2, 0), InventoryItem("b" * 32, None, 1, 0, 1)],
    )
    assert not place_order(store, ["a" * 32, "b" * 32])  # b is out of stock: a is given back
    assert store.stock_levels() == {"a" * 32: 2, "b" * 32: 0}
    assert place_order(store, ["a" * 32, "a" * 32])
    assert not place_order(store, ["a" * 32])
    assert store.stock_levels()["a" * 32] == 0


def test_popular_products_sell_out_and_orders_get_rejected(sim_home, monkeypatch):
    monkeypatch.setenv("OLIST_SIM_STOCK_MAX", "2")
    settings = get_settings()
    store, stream = get_target(settings).state_store(), get_target(settings).stream()
    inventory = reset(store, settings)
    sold = rejected = 0
    for _ in range(80):
        result = tick(store, stream, settings)
        sold += result.items_sold
        rejected += result.rejected
    assert rejected > 0
    levels = store.stock_levels()
    assert min(levels.values()) == 0
    assert sum(i.stock_level for i in inventory) - sum(levels.values()) == sold


def test_a_second_claim_of_the_same_window_is_refused(sim_home):
    settings = get_settings()
    store = get_target(settings).state_store()
    reset(store, settings)
    config = store.load_config()
    assert store.claim_window(config.simulated_time, config.simulated_time + timedelta(hours=1))
    # A second tick that read the old clock loses the claim.
    assert not store.claim_window(config.simulated_time, config.simulated_time + timedelta(hours=1))


class RacedAfterClockRead:
    """The state store of a tick that reads the clock, then loses the race: right after the read, another
    process (`olist-dw simulate --ticks 1`) ticks the same window."""

    def __init__(self, store):
        self._store = store
        self.raced_output = None

    def __getattr__(self, name):
        return getattr(self._store, name)

    def load_config(self):
        config = self._store.load_config()
        if self.raced_output is None:
            self.raced_output = olist_dw("simulate", "--ticks", "1", "--quiet")
        return config


def test_a_tick_that_another_process_claimed_first_sells_and_sends_nothing(sim_home, monkeypatch):
    monkeypatch.setenv("OLIST_SIM_TICK_SECONDS", "30")
    monkeypatch.setenv("OLIST_SIM_ORDERS_MIN", "10")
    settings = get_settings()
    target = get_target(settings)
    store, stream = target.state_store(), target.stream()
    reset(store, settings, speed_factor=2)
    raced = RacedAfterClockRead(store)

    result = tick(raced, stream, settings)

    assert raced.raced_output.startswith("1 ticks: ")
    assert not result.claimed
    assert (result.accepted, result.rejected, result.items_sold, result.event_ids) == (0, 0, 0, [])
    assert (result.window_start, result.window_end) == (SIM_START, SIM_START + timedelta(seconds=60))
    # Only the winner's tick happened: one window on the clock, its orders alone in the log and the stock.
    assert store.load_config().simulated_time == SIM_START + timedelta(seconds=60)
    events = [json.loads(r.data) for r in stream.read(0, 10_000)]
    assert len(events) >= 1
    assert all(SIM_START <= datetime.fromisoformat(e["purchased_at"]) < result.window_end for e in events)
    initial = build_inventory(settings.effective_source_dir, settings.seed, settings.sim_stock_max)
    sold = Counter(item["product_id"] for e in events for item in e["items"])
    assert store.stock_levels() == {i.product_id: i.stock_level - sold[i.product_id] for i in initial}


def test_a_new_process_continues_the_clock_and_the_inventory_of_the_last(sim_home, monkeypatch):
    monkeypatch.setenv("OLIST_SIM_TICK_SECONDS", "30")
    settings = get_settings()
    window = timedelta(seconds=30 * 4)
    stream = get_target(settings).stream()

    first = olist_dw("simulate", "--reset", "--speed", "4", "--ticks", "3", "--quiet")
    after_first = [json.loads(r.data) for r in stream.read(0, 10_000)]
    second = olist_dw("simulate", "--ticks", "2", "--quiet")  # no --reset, no --speed: all from the store
    after_second = [json.loads(r.data) for r in stream.read(0, 10_000)]

    assert first.splitlines()[0].startswith("simulation reset: 400 products")
    assert f"clock at {SIM_START + 3 * window}" in first
    assert f"clock at {SIM_START + 5 * window}" in second
    config = get_target(get_settings()).state_store().load_config()
    assert config.simulated_time == SIM_START + 5 * window
    assert config.speed_factor == 4
    # The second process drew the next two windows, not the first ones again.
    new_events = after_second[len(after_first) :]
    assert new_events and after_first
    assert all(SIM_START <= datetime.fromisoformat(e["purchased_at"]) < SIM_START + 3 * window for e in after_first)
    assert all(
        SIM_START + 3 * window <= datetime.fromisoformat(e["purchased_at"]) < SIM_START + 5 * window for e in new_events
    )
    assert f"{len(new_events):,} orders accepted" in second
    assert len({e["event_id"] for e in after_second}) == len(after_second)
    # The inventory carried over: the stock consumed is what both processes sold (a reseed would forget the first).
    initial = build_inventory(settings.effective_source_dir, settings.seed, settings.sim_stock_max)
    levels = get_target(get_settings()).state_store().stock_levels()
    sold = Counter(item["product_id"] for e in after_second for item in e["items"])
    assert {i.product_id: i.stock_level - sold[i.product_id] for i in initial} == levels


def test_missing_products_file_names_it(olist_home, tmp_path, monkeypatch):
    from olist_dw.errors import UserFacingError

    monkeypatch.setenv("OLIST_SOURCE_DIR", str(tmp_path / "nowhere"))
    settings = get_settings()
    with pytest.raises(UserFacingError, match="olist_products_dataset.csv"):
        reset(get_target(settings).state_store(), settings)


def test_log_checkpoints_only_move_forward(tmp_path):
    log = LocalLog(tmp_path / "log.sqlite")
    log.put_records([("k", b"1"), ("k", b"2"), ("k", b"3")])
    assert [r.seq for r in log.read(0)] == [1, 2, 3]
    log.commit_checkpoint("c", 2)
    log.commit_checkpoint("c", 1)
    assert log.checkpoint("c") == 2
    assert [r.data for r in log.read(log.checkpoint("c"))] == [b"3"]
