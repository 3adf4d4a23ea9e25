"""Oversell races: many concurrent buyers on products with little stock.

Property: units sold (items of accepted orders) == stock consumed, and no stock level is ever below zero.
Orders have 1-3 items, so rejected orders also exercise the release of already-reserved items.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
from pathlib import Path

import pytest

from olist_dw.sim.core import InventoryItem, new_config, place_order
from tests.sim.moto_tables import create_simulation_tables

PROCESSES = 8
SQLITE_ATTEMPTS = 104_000  # item reservation attempts in total (>= 100k)


def _inventory(products: int, stock: int) -> list[InventoryItem]:
    return [InventoryItem(f"{i:032x}", None, 10, stock, i) for i in range(products)]


class CountingStore:
    """Counts reservation attempts made through the real store."""

    def __init__(self, store):
        self.store = store
        self.attempts = 0

    def reserve(self, product_id: str) -> bool:
        self.attempts += 1
        return self.store.reserve(product_id)

    def release(self, product_id: str) -> None:
        self.store.release(product_id)


def _buy(store, product_ids: list[str], attempts: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    counting = CountingStore(store)
    sold = 0
    while counting.attempts < attempts:
        items = [rng.choice(product_ids) for _ in range(rng.choice((1, 1, 2, 3)))]
        if place_order(counting, items):
            sold += len(items)
    return sold, counting.attempts


def _sqlite_buyer(path: str, product_ids: list[str], attempts: int, seed: int, results) -> None:
    from olist_dw.sim.sqlite_store import SQLiteStateStore

    results.put(_buy(SQLiteStateStore(Path(path)), product_ids, attempts, seed))


def test_sqlite_never_oversells_under_8_processes(tmp_path):
    from olist_dw.sim.sqlite_store import SQLiteStateStore

    store = SQLiteStateStore(tmp_path / "state.sqlite")
    inventory = _inventory(products=300, stock=150)  # 45,000 units for 104,000 attempts: stock runs out
    store.reset(new_config(1, 1.0), inventory)
    product_ids = [item.product_id for item in inventory]

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [
        context.Process(
            target=_sqlite_buyer,
            args=(str(store.path), product_ids, SQLITE_ATTEMPTS // PROCESSES, seed, results),
        )
        for seed in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    sold = sum(s for s, _ in outcomes)
    attempts = sum(a for _, a in outcomes)
    levels = store.stock_levels()
    assert attempts >= 100_000
    assert min(levels.values()) >= 0
    assert sold == 150 * 300 - sum(levels.values())
    assert sum(levels.values()) < 150 * 300 * 0.05  # the shop really did (nearly) sell out


@pytest.mark.aws
def test_dynamodb_never_oversells_under_8_concurrent_clients(monkeypatch):
    """Same property on the DynamoDB adapter with moto, 8 threads each with its own client.

    Threads in one process, not 8 processes: moto's in-process mock lives in the test process (moto's
    server mode needs flask, which the environment does not install). Fewer attempts than on SQLite:
    moto handles a few thousand calls a second here, and 2,400 attempts on 60 units already contend at the
    zero boundary for most of the run.
    DynamoDB applies a conditional UpdateItem atomically per item; moto's backend checks the condition and
    then updates, so two threads can interleave in between (seen: stock -1 in about 1 run of 6). A lock
    around the backend's update_item gives moto DynamoDB's per-item atomicity; what is under test is the
    adapter (its condition expressions, releases of rejected orders) with concurrent clients.
    """
    from moto import mock_aws
    from moto.dynamodb.models import DynamoDBBackend

    from olist_dw.sim.dynamodb_store import DynamoDBStateStore

    atomic = threading.Lock()
    unlocked_update_item = DynamoDBBackend.update_item

    def update_item_atomically(self, *args, **kwargs):
        with atomic:
            return unlocked_update_item(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", update_item_atomically)
    with mock_aws():
        create_simulation_tables("us-east-1")
        store = DynamoDBStateStore("Sim_Config", "Sim_Inventory", "us-east-1")
        inventory = _inventory(products=20, stock=3)
        store.reset(new_config(1, 1.0), inventory)
        product_ids = [item.product_id for item in inventory]

        outcomes: list[tuple[int, int]] = []
        lock = threading.Lock()

        def buyer(seed: int) -> None:
            result = _buy(DynamoDBStateStore("Sim_Config", "Sim_Inventory", "us-east-1"), product_ids, 300, seed)
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=buyer, args=(seed,)) for seed in range(PROCESSES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert len(outcomes) == PROCESSES
        levels = store.stock_levels()
        assert min(levels.values()) >= 0
        assert sum(s for s, _ in outcomes) == 3 * 20 - sum(levels.values())
        assert sum(a for _, a in outcomes) >= 2_400
