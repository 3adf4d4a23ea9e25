"""Local delivery: buffering, atomic deterministic files, checkpoints, crash recovery (SIGKILL)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pyarrow.parquet as pq

from olist_dw.settings import get_settings
from olist_dw.sim import log_path, reset, tick
from olist_dw.sim.local_log import LocalLog
from olist_dw.targets import get_target


def _fill(settings, ticks: int) -> int:
    store, stream = get_target(settings).state_store(), get_target(settings).stream()
    if store.load_config() is None:
        reset(store, settings)
    return sum(tick(store, stream, settings).accepted for _ in range(ticks))


def test_buffer_by_size_splits_files_and_names_them_by_sequence(sim_home, monkeypatch):
    monkeypatch.setenv("OLIST_DELIVERY_BUFFER_BYTES", "20000")
    settings = get_settings()
    accepted = _fill(settings, 40)
    with get_target(settings).delivery() as delivery:
        files = delivery.drain()
    assert len(files) > 1
    assert sum(f.records for f in files) == accepted
    assert [f.first_seq for f in files[1:]] == [f.last_seq + 1 for f in files[:-1]]
    for f in files:
        assert f.path.name == f"orders-{f.first_seq:020d}-{f.last_seq:020d}.parquet"
        assert f.path.parent.name.startswith("hour=") and f.path.parent.parent.name.startswith("dt=")
        assert pq.ParquetFile(f.path).metadata.row_group(0).column(0).compression == "SNAPPY"
    assert LocalLog(log_path(settings)).checkpoint("delivery") == accepted
    assert not list((settings.lake_dir / "bronze-sim").rglob(".*.tmp"))


def test_buffer_by_time_waits_for_the_oldest_record(sim_home, monkeypatch):
    monkeypatch.setenv("OLIST_DELIVERY_BUFFER_SECONDS", "1.0")
    settings = get_settings()
    _fill(settings, 2)
    with get_target(settings).delivery() as delivery:
        started = time.monotonic()
        delivered = delivery.deliver_once(wait=True, idle_timeout=5)
        assert delivered is not None
        assert 0.5 < time.monotonic() - started < 3
        assert delivery.deliver_once(wait=True, idle_timeout=0.3) is None  # nothing new: gives up


def test_a_file_written_before_a_lost_checkpoint_is_adopted_not_rewritten(sim_home):
    settings = get_settings()
    _fill(settings, 5)
    log = LocalLog(log_path(settings))
    records = log.read(0)
    with get_target(settings).delivery() as delivery:
        written = delivery.write(records)
    # Simulate "file renamed into place, then killed before the checkpoint commit" (and a half-written temp
    # file of the next range): checkpoints never move back through the API, so reset it directly.
    log._con.execute("update checkpoints set seq = 0 where consumer = 'delivery'")
    mtime = written.path.stat().st_mtime_ns
    (written.path.parent / f".{written.path.name}.tmp").write_bytes(b"half a file")
    with get_target(settings).delivery() as delivery:
        assert delivery.drain() == []
    assert log.checkpoint("delivery") == records[-1].seq
    assert written.path.stat().st_mtime_ns == mtime
    assert not list(written.path.parent.glob(".*.tmp"))


def test_sigkill_during_delivery_loses_and_duplicates_nothing(sim_home, monkeypatch, build_realtime, query):
    """Kill the delivery process (SIGKILL) at random points 24 times while orders flow; restart it each time.
    Afterwards every accepted order is in silver_sim exactly once, with all its items."""
    monkeypatch.setenv("OLIST_DELIVERY_BUFFER_BYTES", "6000")
    monkeypatch.setenv("OLIST_DELIVERY_BUFFER_SECONDS", "0.2")
    monkeypatch.setenv("OLIST_SIM_STOCK_MAX", "500")
    settings = get_settings()
    _fill(settings, 1)
    stop = threading.Event()

    def produce() -> None:
        store, stream = get_target(settings).state_store(), get_target(settings).stream()
        while not stop.is_set():
            tick(store, stream, settings)
            time.sleep(0.01)

    producer = threading.Thread(target=produce)
    producer.start()
    rng = random.Random(2024)
    env = dict(os.environ)
    kills = 0
    try:
        for _ in range(24):
            process = subprocess.Popen(
                [sys.executable, "-m", "olist_dw.cli", "deliver"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.4, 2.0))  # start-up takes ~0.5-1 s: some kills land mid-file
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
    finally:
        stop.set()
        producer.join()
    assert kills >= 20
    with get_target(settings).delivery() as delivery:  # the final restart drains what is left
        delivery.drain()

    log = LocalLog(log_path(settings))
    events = [json.loads(r.data) for r in log.read(0, 10_000_000)]
    assert log.checkpoint("delivery") == log.last_seq() == len(events)
    files = list((settings.lake_dir / "bronze-sim").rglob("*.parquet"))
    assert len(files) > kills

    build_realtime()
    rows = query("select event_id, order_item_id, count(*) from realtime.silver_sim group by 1, 2")
    expected = {(e["event_id"], item["order_item_id"]) for e in events for item in e["items"]}
    assert {(event_id, item) for event_id, item, _ in rows} == expected
    assert all(copies == 1 for _, _, copies in rows)
