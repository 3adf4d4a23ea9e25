"""A tick is at least once: a stream failure after the stock is reserved loses no order and sells nothing twice.

The failure is injected below the real adapters: on DynamoDB + Kinesis (moto) a Kinesis client that refuses
every other record of every PutRecords call (the KinesisStream resends them, then gives up with its error);
on SQLite + the embedded log a log that appends the first half of the records, then fails.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from olist_dw.settings import get_settings
from olist_dw.sim import log_path, reset, tick
from olist_dw.sim.core import CLAIM_LEASE, event_id
from olist_dw.sim.kinesis import KinesisPutError, KinesisStream
from olist_dw.sim.local_log import LocalLog
from olist_dw.targets import get_target
from tests.sim.moto_tables import create_simulation_tables
from tests.sim.test_aws_adapters import _stream_records

REGION = "eu-west-1"
SPEED = 30


class RefusingKinesisClient:
    """The moto Kinesis client, except that PutRecords refuses every other record (throttled), unsent."""

    def __init__(self, client):
        self._client = client

    def put_records(self, StreamName, Records):  # noqa: N803 (boto3's parameter names)
        kept = Records[0::2]
        sent = iter(self._client.put_records(StreamName=StreamName, Records=kept)["Records"]) if kept else iter(())
        results = [
            next(sent) if i % 2 == 0 else {"ErrorCode": "ProvisionedThroughputExceededException"}
            for i in range(len(Records))
        ]
        return {"FailedRecordCount": sum("ErrorCode" in r for r in results), "Records": results}


class HalfWrittenLog:
    """The embedded log, except that a put appends the first half of the records, then fails."""

    def __init__(self, log: LocalLog):
        self._log = log

    def put_records(self, records):
        self._log.put_records(records[: len(records) // 2])
        raise OSError("disk full (injected)")


class Adapters:
    def __init__(self, kind: str, settings):
        self.kind, self.settings = kind, settings
        if kind == "dynamodb":
            import boto3

            create_simulation_tables(REGION, stream=settings.kinesis_stream, shards=2)
            self.kinesis = boto3.client("kinesis", region_name=REGION)
        self.store = get_target(settings).state_store()

    def stream(self, failing: bool = False):
        if self.kind == "dynamodb":
            client = RefusingKinesisClient(self.kinesis) if failing else self.kinesis
            return KinesisStream(self.settings.kinesis_stream, REGION, client=client, max_attempts=2, base_delay_s=0)
        log = LocalLog(log_path(self.settings))
        return HalfWrittenLog(log) if failing else log

    def events(self) -> list[dict]:
        if self.kind == "dynamodb":
            return _stream_records(self.kinesis, self.settings.kinesis_stream)
        return [json.loads(r.data) for r in LocalLog(log_path(self.settings)).read(0, 100_000)]


@pytest.fixture(params=["sqlite", "dynamodb"])
def adapters(request, sim_home, monkeypatch):
    monkeypatch.setenv("OLIST_SIM_ORDERS_MIN", "12")
    monkeypatch.setenv("OLIST_SIM_ORDERS_MAX", "20")
    if request.param == "sqlite":
        yield Adapters("sqlite", get_settings())
        return
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")  # pragma: allowlist secret
    monkeypatch.setenv("OLIST_TARGET", "aws")
    monkeypatch.setenv("OLIST_AWS_REGION", REGION)
    with mock_aws():
        yield Adapters("dynamodb", get_settings())


def test_a_tick_whose_stream_failed_is_sent_whole_by_the_retry_and_sold_once(adapters):
    settings, store = adapters.settings, adapters.store
    inventory = reset(store, settings, speed_factor=SPEED)
    window = timedelta(seconds=settings.sim_tick_seconds * SPEED)
    config = store.load_config()
    start, seed = config.simulated_time, config.seed

    with pytest.raises((KinesisPutError, OSError)):
        tick(store, adapters.stream(failing=True), settings)
    sent_by_the_failed_attempt = {e["event_id"] for e in adapters.events()}
    assert sent_by_the_failed_attempt  # the failure was partial: some records did reach the stream
    assert store.load_config().simulated_time == start  # the clock did not move past unsent orders

    retry = tick(store, adapters.stream(), settings)

    assert (retry.window_start, retry.window_end) == (start, start + window)
    assert store.load_config().simulated_time == start + window
    assert retry.resumed == (adapters.kind == "dynamodb")  # SQLite rolled the attempt back and redid it
    assert retry.accepted > 0 and len(retry.event_ids) == retry.accepted
    # Event ids are fixed by seed, window and order index: the retry re-sent the failed attempt's ids.
    assert set(retry.event_ids) <= {event_id(seed, start, i) for i in range(settings.sim_orders_max)}
    assert sent_by_the_failed_attempt <= set(retry.event_ids)
    # Every accepted order is on the stream exactly once by event id; a second copy only of a sent one,
    # identical but for produced_at.
    events = adapters.events()
    copies: dict[str, list[dict]] = {}
    for event in events:
        copies.setdefault(event["event_id"], []).append(event)
    assert set(copies) == set(retry.event_ids)
    for event_copies in copies.values():
        assert len({json.dumps({**e, "produced_at": ""}, sort_keys=True) for e in event_copies}) == 1
    # The stock went to those orders once: initial - items of the distinct events.
    sold = Counter(item["product_id"] for c in copies.values() for item in c[0]["items"])
    assert sum(sold.values()) == retry.items_sold
    assert store.stock_levels() == {i.product_id: i.stock_level - sold[i.product_id] for i in inventory}

    # The clock moved once, and the next tick draws the next window.
    following = tick(store, adapters.stream(), settings)
    assert following.window_start == retry.window_end and not following.resumed
    assert store.load_config().simulated_time == retry.window_end + window


def test_a_claim_abandoned_while_reserving_is_taken_over_after_the_lease(adapters):
    settings, store = adapters.settings, adapters.store
    reset(store, settings, speed_factor=SPEED)
    start = store.load_config().simulated_time
    end = start + timedelta(seconds=settings.sim_tick_seconds * SPEED)
    orders_range = (settings.sim_orders_min, settings.sim_orders_max)
    # A tick claimed the window, then died before recording its accepted orders.
    claimed_at = datetime(2026, 1, 1, 12, 0, 0)
    assert store.claim_window(start, end, orders_range, claimed_at)

    within_lease = tick_at(store, adapters.stream(), settings, claimed_at + CLAIM_LEASE - timedelta(seconds=1))
    assert not within_lease.claimed and store.load_config().simulated_time == start
    assert adapters.events() == []

    after_lease = tick_at(store, adapters.stream(), settings, claimed_at + CLAIM_LEASE)
    assert after_lease.claimed and (after_lease.window_start, after_lease.window_end) == (start, end)
    assert after_lease.accepted > 0
    assert sorted(e["event_id"] for e in adapters.events()) == sorted(after_lease.event_ids)
    config = store.load_config()
    assert config.simulated_time == end and config.pending is None


def tick_at(store, stream, settings, now: datetime):
    from olist_dw.sim import tick

    return tick(store, stream, settings, now=lambda: now)
