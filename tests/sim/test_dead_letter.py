"""Bad stream records are dead-lettered with their reason and sequence number; delivery goes past them."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from olist_dw.settings import get_settings
from olist_dw.sim import log_path, reset, tick
from olist_dw.sim.local_log import LocalLog
from olist_dw.targets import get_target

OLIST_DW = str(Path(sys.executable).with_name("olist-dw"))  # the installed command, as a user runs it


def _tick(settings, ticks: int = 1) -> None:
    store, stream = get_target(settings).state_store(), get_target(settings).stream()
    if store.load_config() is None:
        reset(store, settings)
    for _ in range(ticks):
        tick(store, stream, settings)


def _a_good_event(log: LocalLog) -> dict:
    return json.loads(log.read(0, limit=1)[0].data)


def _bad_records(good: dict) -> dict[str, bytes]:
    """One record per way of being bad, keyed by the reason delivery must give."""
    newer_version = {**good, "schema_version": 2}
    no_total = {k: v for k, v in good.items() if k != "order_total"}
    impossible_date = {**good, "purchased_at": "2017-13-45 99:99:99"}  # matches the pattern, is no date
    negative_price = {**good, "items": [{**good["items"][0], "price": -1.0}]}
    return {
        "malformed_json": b'{"schema_version": 1, "event_id": ',
        "malformed_json (not UTF-8)": b"\xff\xfe\x00 not text",
        "unknown_schema_version": json.dumps(newer_version).encode(),
        "missing_required_field": json.dumps(no_total).encode(),
        "unconvertible_value": json.dumps(impossible_date).encode(),
        "schema_violation": json.dumps(negative_price).encode(),
    }


def _error_rows(settings) -> list[dict]:
    rows = []
    for path in sorted((settings.lake_dir / "bronze-sim-errors").rglob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines()]
    return rows


def _raw_bytes(row: dict) -> bytes:
    return base64.b64decode(row["raw"]) if row["raw_encoding"] == "base64" else row["raw"].encode()


def _delivered_event_ids(settings) -> list[str]:
    ids: list[str] = []
    for path in sorted((settings.lake_dir / "bronze-sim").rglob("*.parquet")):
        ids += pq.read_table(path, columns=["event_id"]).column("event_id").to_pylist()
    return ids


def test_bad_events_are_dead_lettered_with_reason_and_sequence_and_delivery_goes_past_them(sim_home, caplog):
    settings = get_settings()
    _tick(settings)
    log = LocalLog(log_path(settings))
    bad = _bad_records(_a_good_event(log))
    log.put_records([(f"bad-{i}", data) for i, data in enumerate(bad.values())])
    bad_seqs = dict(zip(range(log.last_seq() - len(bad) + 1, log.last_seq() + 1), bad, strict=True))
    _tick(settings)  # good records after the bad ones must not wait behind them

    with caplog.at_level(logging.INFO, logger="olist_dw.sim.delivery"), get_target(settings).delivery() as delivery:
        files = delivery.drain()

    assert log.checkpoint("delivery") == log.last_seq()
    good = {r.seq: json.loads(r.data)["event_id"] for r in log.read(0, 10_000) if r.seq not in bad_seqs}
    assert sorted(_delivered_event_ids(settings)) == sorted(good.values())
    assert sum(f.records for f in files) == len(good)
    assert sum(f.dead_lettered for f in files) == len(bad)

    rows = _error_rows(settings)
    assert {row["sequence_number"]: row["reason"] for row in rows} == {
        seq: reason.split(" ")[0] for seq, reason in bad_seqs.items()
    }
    for row in rows:
        assert _raw_bytes(row) == bad[bad_seqs[row["sequence_number"]]]
        assert row["detail"] and row["arrived_at"].endswith("+00:00")
    by_reason = {row["reason"]: row for row in rows}
    by_seq = {row["sequence_number"]: row for row in rows}
    assert [by_seq[seq]["detail"].split(":")[0] for seq in bad_seqs if bad_seqs[seq].startswith("malformed")] == [
        "not valid JSON",
        "not UTF-8",
    ]
    assert by_reason["unknown_schema_version"]["detail"].startswith("$.schema_version: 2")
    assert "'order_total' is a required property" in by_reason["missing_required_field"]["detail"]
    assert by_reason["schema_violation"]["detail"].startswith("$.items[0].price")
    assert {row["raw_encoding"] for row in rows} == {"utf-8", "base64"}
    (errors_file,) = {f.errors_path for f in files if f.errors_path}
    assert errors_file.parent.parent.parent.name == "bronze-sim-errors"
    assert errors_file.name == files[0].path.name.replace("orders-", "errors-").replace(".parquet", ".jsonl")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"dead-lettered {len(bad)} bad event(s)" in message for message in warnings), warnings


def test_a_range_of_bad_events_only_moves_the_checkpoint_past_them_with_an_empty_orders_file(sim_home):
    settings = get_settings()
    log = LocalLog(log_path(settings))
    log.put_records([("k", b"not json"), ("k", b'{"schema_version": 7}')])
    with get_target(settings).delivery() as delivery:
        (delivered,) = delivery.drain()
    assert (delivered.records, delivered.dead_lettered) == (0, 2)
    assert log.checkpoint("delivery") == 2
    table = pq.read_table(delivered.path)
    assert table.num_rows == 0 and "event_id" in table.column_names
    assert [row["reason"] for row in _error_rows(settings)] == ["malformed_json", "unknown_schema_version"]


def test_an_errors_file_whose_orders_file_was_never_written_is_dropped_and_its_range_redelivered(sim_home):
    """Killed after the errors file and before the orders file (the range's commit mark): on restart the
    leftover errors file goes, and the range, now a longer one, is delivered with each dead letter once."""
    settings = get_settings()
    log = LocalLog(log_path(settings))
    _tick(settings)
    log.put_records([("k", b"not json")])
    with get_target(settings).delivery() as delivery:
        (first,) = delivery.drain()
    assert first.errors_path is not None
    first.path.unlink()  # as if killed before the orders file was renamed into place
    log._con.execute("update checkpoints set seq = 0 where consumer = 'delivery'")  # never moves back via the API
    _tick(settings)
    log.put_records([("k", b"[]")])

    with get_target(settings).delivery() as delivery:
        (second,) = delivery.drain()
    assert (second.first_seq, second.last_seq) == (1, log.last_seq()) and second.last_seq > first.last_seq
    assert not first.errors_path.exists()
    assert sorted(row["sequence_number"] for row in _error_rows(settings)) == [first.last_seq, log.last_seq()]
    assert len(_delivered_event_ids(settings)) == log.last_seq() - 2


def test_the_deliver_command_reports_dead_letters(sim_home):
    settings = get_settings()
    _tick(settings)
    LocalLog(log_path(settings)).put_records([("k", b"{oops")])
    done = subprocess.run([OLIST_DW, "deliver", "--drain"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 bad event(s) dead-lettered" in done.stdout
    assert str(Path(settings.lake_dir) / "bronze-sim-errors") in done.stdout


def test_a_state_outside_the_contract_is_a_schema_violation(sim_home):
    """The event schema's state list comes from the source contract: "XX" fits the file's pattern, not the contract."""
    from olist_dw.sim.dead_letter import SCHEMA_VIOLATION, Rejected, check_event

    settings = get_settings()
    reset(get_target(settings).state_store(), settings)
    _tick(settings)
    good = _a_good_event(LocalLog(log_path(settings)))
    check_event(json.dumps(good).encode())  # the event as the simulator wrote it passes
    try:
        check_event(json.dumps({**good, "customer_state": "XX"}).encode())
    except Rejected as rejected:
        assert rejected.reason == SCHEMA_VIOLATION and "customer_state" in rejected.detail
    else:
        raise AssertionError("customer_state 'XX' was accepted")
