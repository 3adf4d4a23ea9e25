"""The AWS side with moto: the Lambda end to end (DynamoDB + Kinesis), and Kinesis partial-failure retries."""

from __future__ import annotations

import importlib.util
import json
from datetime import timedelta

import jsonschema
import pytest

from olist_dw.settings import PROJECT_ROOT, get_settings
from olist_dw.sim import reset
from olist_dw.sim.kinesis import KinesisPutError, KinesisStream
from olist_dw.targets import get_target
from tests.sim.moto_tables import create_simulation_tables

HANDLER_PATH = PROJECT_ROOT / "include" / "lambda" / "order_generator" / "handler.py"

pytestmark = pytest.mark.aws


def _load_handler():
    spec = importlib.util.spec_from_file_location("order_generator_handler", HANDLER_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stream_records(client, stream: str) -> list[dict]:
    records = []
    for shard in client.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=1000)
            records += [json.loads(r["Data"]) for r in page["Records"]]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def test_lambda_end_to_end_on_moto(sim_home, monkeypatch, event_schema):
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("OLIST_TARGET", "aws")
    monkeypatch.setenv("OLIST_AWS_REGION", "eu-west-1")
    monkeypatch.setenv("OLIST_KINESIS_STREAM", "olist-orders")
    monkeypatch.setenv("OLIST_SIM_CONFIG_TABLE", "Sim_Config")
    monkeypatch.setenv("OLIST_SIM_INVENTORY_TABLE", "Sim_Inventory")
    settings = get_settings()
    with mock_aws():
        create_simulation_tables("eu-west-1", stream="olist-orders", shards=2)
        kinesis = boto3.client("kinesis", region_name="eu-west-1")

        handler = _load_handler()
        store = get_target(settings).state_store()  # as `olist-dw simulate --reset` on AWS
        inventory = reset(store, settings, speed_factor=30)
        start = store.load_config().simulated_time
        stock_before = sum(item.stock_level for item in inventory)

        results = [handler.handler({}, None)["ticks"][0] for _ in range(4)]
        results += handler.handler({"ticks": 2}, None)["ticks"]

        accepted = sum(r["accepted"] for r in results)
        items_sold = sum(r["items_sold"] for r in results)
        records = _stream_records(kinesis, "olist-orders")
        assert accepted > 0 and len(records) == accepted
        for record in records:
            jsonschema.validate(record, event_schema)
        assert sum(len(r["items"]) for r in records) == items_sold
        assert sum(store.stock_levels().values()) == stock_before - items_sold
        assert store.load_config().simulated_time == start + timedelta(seconds=6 * settings.sim_tick_seconds * 30)
        assert len(handler._ADAPTERS) == 1  # clients kept warm between invocations


class FlakyKinesis:
    """Refuses the 2nd and 4th record of the first call, accepts everything afterwards."""

    def __init__(self):
        self.calls: list[list[bytes]] = []

    def put_records(self, StreamName, Records):  # noqa: N803 (boto3's parameter names)
        self.calls.append([r["Data"] for r in Records])
        if len(self.calls) == 1:
            results = [
                {"ErrorCode": "ProvisionedThroughputExceededException"} if i in (1, 3) else {"SequenceNumber": "1"}
                for i in range(len(Records))
            ]
            return {"FailedRecordCount": 2, "Records": results}
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "2"} for _ in Records]}


def test_kinesis_retries_only_the_failed_records():
    client = FlakyKinesis()
    stream = KinesisStream("s", "us-east-1", client=client, base_delay_s=0)
    stream.put_records([(str(i), f"r{i}".encode()) for i in range(5)])
    assert client.calls == [[b"r0", b"r1", b"r2", b"r3", b"r4"], [b"r1", b"r3"]]


def test_kinesis_gives_up_with_a_clear_error():
    class AlwaysThrottled:
        def put_records(self, StreamName, Records):  # noqa: N803
            return {"FailedRecordCount": len(Records), "Records": [{"ErrorCode": "Throttled"} for _ in Records]}

    stream = KinesisStream("olist-orders", "us-east-1", client=AlwaysThrottled(), max_attempts=3, base_delay_s=0)
    with pytest.raises(KinesisPutError, match="olist-orders: 1 record"):
        stream.put_records([("k", b"x")])


def test_kinesis_splits_calls_at_500_records():
    client = FlakyKinesis()
    client.calls.append([])  # skip the failing first call
    KinesisStream("s", "us-east-1", client=client).put_records([("k", b"x")] * 1201)
    assert [len(c) for c in client.calls[1:]] == [500, 500, 201]
