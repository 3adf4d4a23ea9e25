"""Replay (`olist-dw deliver --from-sequence N`): re-delivers what the live delivery delivered, into today's
arrival partition, without moving the live checkpoint and without counting anything twice downstream."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from olist_dw.settings import get_settings
from olist_dw.sim import log_path, reset, tick
from olist_dw.sim.delivery import ReplayRangeError
from olist_dw.sim.local_log import LocalLog
from olist_dw.targets import get_target

OLIST_DW = str(Path(sys.executable).with_name("olist-dw"))  # the installed command, as a user runs it
THREE_DAYS = 3 * 86_400


def _tick(settings, ticks: int) -> None:
    store, stream = get_target(settings).state_store(), get_target(settings).stream()
    if store.load_config() is None:
        reset(store, settings)
    for _ in range(ticks):
        tick(store, stream, settings)


def _age_the_log(log: LocalLog, seconds: float) -> None:
    """Records arrived `seconds` earlier (the live files land in an old arrival partition)."""
    log._con.execute("update records set appended_at = appended_at - ?", (seconds,))


def _event_ids(path: Path) -> list[str]:
    return pq.read_table(path, columns=["event_id"]).column("event_id").to_pylist()


def test_replay_writes_the_range_into_todays_partition_and_leaves_the_live_checkpoint(sim_home, monkeypatch):
    monkeypatch.setenv("OLIST_DELIVERY_BUFFER_BYTES", "8000")
    settings = get_settings()
    _tick(settings, 12)
    log = LocalLog(log_path(settings))
    _age_the_log(log, THREE_DAYS)
    with get_target(settings).delivery() as delivery:
        live = delivery.drain()
    checkpoint = log.checkpoint("delivery")
    live_files = {f.path: f.path.stat().st_mtime_ns for f in live}
    start = live[1].first_seq + 3  # mid-file: a replay need not start on a file boundary

    replayed = get_target(settings).delivery().replay(start)

    assert log.checkpoint("delivery") == checkpoint
    assert [(f.first_seq, f.last_seq) for f in replayed][0][0] == start and replayed[-1].last_seq == checkpoint
    assert [f.first_seq for f in replayed[1:]] == [f.last_seq + 1 for f in replayed[:-1]]
    today = datetime.now(UTC).strftime("dt=%Y-%m-%d")
    for f in replayed:
        assert f.path.name == f"replay-{f.first_seq:020d}-{f.last_seq:020d}.parquet"
        assert f.path.parent.parent.name == today
    by_seq = {r.seq: json.loads(r.data)["event_id"] for r in log.read(0, 100_000)}
    assert [i for f in replayed for i in _event_ids(f.path)] == [by_seq[s] for s in range(start, checkpoint + 1)]
    assert {p: p.stat().st_mtime_ns for p in live_files} == live_files  # the live files are untouched

    _tick(settings, 2)  # the live delivery carries on from its own checkpoint, not from the replay
    with get_target(settings).delivery() as delivery:
        (after,) = delivery.drain()
    assert after.first_seq == checkpoint + 1 and after.path.name.startswith("orders-")


def test_replay_refuses_a_range_the_live_delivery_has_not_delivered(sim_home):
    settings = get_settings()
    _tick(settings, 2)
    with get_target(settings).delivery() as delivery:
        delivery.drain()
    checkpoint = LocalLog(log_path(settings)).checkpoint("delivery")
    _tick(settings, 1)  # delivered by nobody yet: the live delivery's, not the replay's
    delivery = get_target(settings).delivery()
    with pytest.raises(ReplayRangeError, match=f"up to {checkpoint} "):
        delivery.replay(checkpoint + 1)
    with pytest.raises(ReplayRangeError, match="must be 1 or more"):
        delivery.replay(0)
    with pytest.raises(ReplayRangeError, match=f"between --from-sequence 2 and the delivery checkpoint {checkpoint}"):
        delivery.replay(2, checkpoint + 1)
    assert not list((settings.lake_dir / "bronze-sim").rglob("replay-*"))


def _expected_gold(log: LocalLog) -> dict[tuple, tuple[int, Decimal]]:
    orders: dict[tuple, set[str]] = defaultdict(set)
    revenue: dict[tuple, Decimal] = defaultdict(Decimal)
    for record in log.read(0, 1_000_000):
        event = json.loads(record.data, parse_float=Decimal)
        key = (datetime.fromisoformat(event["purchased_at"]).date(), event["customer_state"])
        orders[key].add(event["order_id"])
        revenue[key] += sum(Decimal(item["price"]).quantize(Decimal("0.01")) for item in event["items"])
    return {key: (len(orders[key]), revenue[key]) for key in orders}


def _gold(query) -> dict[tuple, tuple[int, Decimal]]:
    rows = query("select order_date, customer_state, total_orders, daily_revenue from realtime.gold_sim")
    return {(day, state): (total, revenue) for day, state, total, revenue in rows}


def test_a_replay_brings_back_an_old_lost_file_downstream_and_counts_nothing_twice(
    sim_home, monkeypatch, build_realtime, query
):
    """A file that arrived three days ago was lost before the realtime models read it. Replayed from its first
    sequence (which also repeats every later event, already loaded) into today's partition, the next realtime
    run loads its events once: gold_sim equals its recomputation from the log."""
    monkeypatch.setenv("OLIST_DELIVERY_BUFFER_BYTES", "8000")
    settings = get_settings()
    log = LocalLog(log_path(settings))
    _tick(settings, 8)
    _age_the_log(log, THREE_DAYS)
    with get_target(settings).delivery() as delivery:
        old_files = delivery.drain()
    lost = old_files[1]
    lost.path.unlink()
    _tick(settings, 3)  # today's arrivals
    with get_target(settings).delivery() as delivery:
        delivery.drain()
    build_realtime()
    assert _gold(query) != _expected_gold(log)  # the lost file's orders are missing

    replayed = get_target(settings).delivery().replay(lost.first_seq)
    assert replayed[-1].last_seq == log.last_seq()  # the replay repeats the events loaded after the lost file
    build_realtime()
    assert _gold(query) == _expected_gold(log)


def test_the_deliver_command_replays_from_a_sequence(sim_home):
    settings = get_settings()
    _tick(settings, 3)
    with get_target(settings).delivery() as delivery:
        delivery.drain()
    checkpoint = LocalLog(log_path(settings)).checkpoint("delivery")

    done = subprocess.run([OLIST_DW, "deliver", "--from-sequence", "2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"replayed sequences 2-{checkpoint}: {checkpoint - 1} orders in 1 file(s)" in done.stdout
    assert f"the delivery checkpoint stays at {checkpoint}" in done.stdout

    refused = subprocess.run(
        [OLIST_DW, "deliver", "--from-sequence", str(checkpoint + 5)], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: nothing to replay from sequence {checkpoint + 5}")
