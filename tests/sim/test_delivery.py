"""Local delivery: buffering, atomic deterministic files, checkpoints, crash recovery (SIGKILL)."""

from __future__ import annotations

import itertools
import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from olist_dw.settings import get_settings
from olist_dw.sim import log_path, reset, tick
from olist_dw.sim.delivery import FILE_PATTERN
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


def _orders_files(settings) -> list[tuple[int, int, Path]]:
    """(first, last, path) of every orders file in bronze-sim/, by first sequence, from the file names."""
    files = []
    for path in (settings.lake_dir / "bronze-sim").rglob("orders-*.parquet"):
        named = FILE_PATTERN.search(path.name)
        assert named is not None, path
        files.append((int(named.group(1)), int(named.group(2)), path))
    return sorted(files)


def _assert_ranges_tile(files: list[tuple[int, int, Path]], first: int, last: int) -> None:
    """The files' sequence ranges cover first..last exactly: each starts right after the previous one ends."""
    assert files, "no orders file"
    assert files[0][0] == first and files[-1][1] == last, [(a, b) for a, b, _ in files]
    for (_, previous_last, previous), (next_first, _, following) in itertools.pairwise(files):
        assert next_first == previous_last + 1, f"{previous.name} then {following.name}: overlap or gap"


def test_sigkill_during_delivery_loses_and_duplicates_nothing(sim_home, tmp_path, monkeypatch):
    """Kill the delivery process (SIGKILL) at random points 20 times while orders flow; restart it each time.
    The killed processes deliver (files land, the checkpoint advances) before any final drain; afterwards the
    orders files' sequence ranges tile the log, no gap and no overlap, and each file holds exactly the events
    of its range: read from the Parquet files themselves, not from the warehouse (which deduplicates)."""
    monkeypatch.setenv("OLIST_DELIVERY_BUFFER_BYTES", "6000")
    monkeypatch.setenv("OLIST_DELIVERY_BUFFER_SECONDS", "0.2")
    monkeypatch.setenv("OLIST_SIM_STOCK_MAX", "500")
    settings = get_settings()
    _fill(settings, 1)
    log = LocalLog(log_path(settings))
    stop = threading.Event()

    def produce() -> None:
        store, stream = get_target(settings).state_store(), get_target(settings).stream()
        while not stop.is_set():
            tick(store, stream, settings)
            time.sleep(0.05)  # a steady flow; the CPU is for the delivery processes

    producer = threading.Thread(target=produce)
    producer.start()
    rng = random.Random(2024)
    checkpoints = []
    try:
        for attempt in range(20):
            stderr_path = tmp_path / f"deliver-{attempt}.stderr"
            with open(stderr_path, "wb") as stderr:
                before = log.checkpoint("delivery")
                process = subprocess.Popen(
                    [sys.executable, "-m", "olist_dw.cli", "deliver"], stdout=subprocess.DEVNULL, stderr=stderr
                )
                if attempt % 2 == 0:
                    # Any time from launch: start-up takes 1-3 s on a busy machine, so these land in start-up,
                    # recovery or a file alike.
                    time.sleep(rng.uniform(0.4, 3.0))
                else:
                    # Once this process has moved the checkpoint (it delivers: the final drain is not the one
                    # doing the work), anywhere in its next file.
                    deadline = time.monotonic() + 60
                    while log.checkpoint("delivery") == before and process.poll() is None:
                        assert time.monotonic() < deadline, f"process {attempt} delivered nothing in 60 s"
                        time.sleep(0.05)
                    time.sleep(rng.uniform(0.0, 0.5))
                process.send_signal(signal.SIGKILL)
                returncode = process.wait()
            # -9: it was still delivering when killed (it did not exit or crash on its own)
            assert returncode == -signal.SIGKILL, (attempt, returncode, stderr_path.read_text())
            checkpoints.append(log.checkpoint("delivery"))
    finally:
        stop.set()
        producer.join()

    # What the killed processes did, before anything else delivers: the checkpoint only moved forward, and
    # in every second process's life at least; their files tile 1..(at least) the checkpoint.
    assert checkpoints == sorted(checkpoints)
    advanced = [after > before for before, after in itertools.pairwise([0, *checkpoints])]
    assert all(advanced[1::2]), checkpoints
    killed_files = _orders_files(settings)
    _assert_ranges_tile(killed_files, 1, killed_files[-1][1])
    assert killed_files[-1][1] >= checkpoints[-1]

    with get_target(settings).delivery() as delivery:  # a last, unkilled run delivers the rest
        delivery.drain()
    events_by_seq = {r.seq: json.loads(r.data)["event_id"] for r in log.read(0, 10_000_000)}
    assert log.checkpoint("delivery") == log.last_seq() == len(events_by_seq)
    files = _orders_files(settings)
    _assert_ranges_tile(files, 1, log.last_seq())
    assert files[: len(killed_files)] == killed_files  # nothing the killed processes wrote was rewritten
    for first, last, path in files:
        delivered = pq.read_table(path, columns=["event_id"]).column("event_id").to_pylist()
        assert delivered == [events_by_seq[seq] for seq in range(first, last + 1)], path.name
    assert not list((settings.lake_dir / "bronze-sim").rglob(".*.tmp"))
