"""The near-real-time chain on an emulator: Lambda -> Kinesis -> (Firehose) -> S3 -> EventBridge -> SQS ->
the AssetWatcher that schedules olist_realtime.

One moto server on 127.0.0.1 (ThreadedMotoServer, a free port, stopped at the end) is S3, DynamoDB, Kinesis,
EventBridge and SQS, with the resources named as infra/olist.yaml names them: the lake bucket with EventBridge
notifications on, Sim_Config and Sim_Inventory, the orders stream, the landed queue and the rule that forwards
bronze-sim/ "Object Created" events to it (the template's own event pattern). The order generator's handler
(include/lambda/order_generator/handler.py) runs several ticks against it, one invocation meeting a Kinesis
throttling outage, which the next invocation recovers (at-least-once ticks).

What moto cannot emulate, and what stands in for it:
- **Firehose** (Kinesis source -> JSON-to-Parquet conversion against the Glue table -> S3 under
  bronze-sim/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/): moto's Firehose neither reads a Kinesis source
  nor converts records. The test reads the stream back (GetShardIterator TRIM_HORIZON + GetRecords on each
  shard) and writes the records as Firehose would: snappy Parquet with the local delivery's schema and row
  conversion (olist_dw.sim.delivery.PARQUET_SCHEMA, split_records), through the S3 lake (olist_dw.lake.S3Lake,
  the Airflow connection) under the template's prefix, the partition from each record's Kinesis arrival time.
- S3 -> EventBridge -> rule -> SQS is moto's own: its S3 PutObject emits the "Object Created" event to the
  default bus and its EventBridge evaluates the rule's pattern and delivers the event to the queue.
- The triggerer is not run: the watcher's SqsSensorTrigger (rebuilt from its serialized form, as the
  triggerer does) runs its async run() here, bounded by asyncio.wait_for.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import uuid
from base64 import b64decode
from collections import Counter
from datetime import UTC, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from olist_dw.settings import PROJECT_ROOT, get_settings
from olist_dw.sim import reset
from olist_dw.sim.delivery import PARQUET_SCHEMA, split_records
from olist_dw.sim.kinesis import KinesisPutError
from olist_dw.sim.local_log import LogRecord
from olist_dw.targets import get_target
from tests.infra.emulator import REGION, aws_connection_env, moto_server, stack_names
from tests.infra.test_sqs_watcher import first_event, rebuilt
from tests.sim.conftest import write_products

pytestmark = pytest.mark.aws

HANDLER_PATH = PROJECT_ROOT / "include" / "lambda" / "order_generator" / "handler.py"
SPEED = 30
DELIVERY_STREAM = "olist-dev-sim-orders"  # the template's DeliveryStreamName: part of Firehose's object names


class KinesisOutage:
    """While on: moto's PutRecords stores the even-positioned records of the first call and refuses the rest
    (ProvisionedThroughputExceededException), then refuses every record of every later call."""

    def __init__(self, put_records):
        self._put_records = put_records
        self.on = False
        self.calls = 0

    def patch(self):
        """The replacement of KinesisBackend.put_records (a function, so that it binds to the backend)."""

        def put_records(backend, stream_arn, stream_name, records):
            return self.put_records(backend, stream_arn, stream_name, records)

        return put_records

    def put_records(self, backend, stream_arn, stream_name, records):
        if not self.on:
            return self._put_records(backend, stream_arn, stream_name, records)
        self.calls += 1
        kept = records[0::2] if self.calls == 1 else []
        stored = iter(self._put_records(backend, stream_arn, stream_name, kept)["Records"] if kept else [])
        refused = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded (test)"}
        results = [next(stored) if i % 2 == 0 and kept else refused for i in range(len(records))]
        return {"FailedRecordCount": sum("ErrorCode" in r for r in results), "Records": results}


def _load_handler():
    spec = importlib.util.spec_from_file_location("order_generator_handler_chain", HANDLER_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _create_stack_resources(template, names, endpoint):
    """What the template creates for this chain, from its own names and properties."""
    import boto3

    resources = template["Resources"]
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    s3.create_bucket(Bucket=names.lake_bucket)
    assert resources["LakeBucket"]["Properties"]["NotificationConfiguration"]["EventBridgeConfiguration"] == {
        "EventBridgeEnabled": True
    }
    s3.put_bucket_notification_configuration(
        Bucket=names.lake_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    for logical_id, table in (
        ("SimConfigTable", names.sim_config_table),
        ("SimInventoryTable", names.sim_inventory_table),
    ):
        properties = resources[logical_id]["Properties"]
        dynamodb.create_table(
            TableName=table,
            KeySchema=properties["KeySchema"],
            AttributeDefinitions=properties["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
        )
    kinesis = boto3.client("kinesis", region_name=REGION, endpoint_url=endpoint)
    shards = int(template["Parameters"]["KinesisShardCount"]["Default"])
    kinesis.create_stream(StreamName=names.kinesis_stream, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=names.kinesis_stream)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    queue_url = sqs.create_queue(QueueName=names.landed_queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name=REGION, endpoint_url=endpoint)
    events.put_rule(Name=names.landed_rule, EventPattern=json.dumps(names.landed_rule_pattern), State="ENABLED")
    (target,) = resources["SimLandedRule"]["Properties"]["Targets"]
    events.put_targets(Rule=names.landed_rule, Targets=[{"Id": target["Id"], "Arn": queue_arn}])
    return kinesis, sqs, queue_url


def _read_stream(kinesis, stream: str) -> list[dict]:
    """Every record of every shard from the start (TRIM_HORIZON), with its data and arrival time."""
    records = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return sorted(records, key=lambda r: (r["ApproximateArrivalTimestamp"], r["SequenceNumber"]))


def _deliver_like_firehose(records: list[dict], lake, prefix_template: str, flushes: int = 2) -> list[str]:
    """Stand-in for Firehose: `flushes` Parquet objects (one per buffer flush), each under the prefix of its
    first record's arrival hour (UTC), named <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid> as Firehose names
    them. Returns the keys written."""
    keys = []
    size = -(-len(records) // flushes)
    for start in range(0, len(records), size):
        batch = records[start : start + size]
        arrived = batch[0]["ApproximateArrivalTimestamp"].astimezone(UTC)
        prefix = prefix_template.replace("!{timestamp:yyyy-MM-dd}", arrived.strftime("%Y-%m-%d")).replace(
            "!{timestamp:HH}", arrived.strftime("%H")
        )
        rows = split_records([LogRecord(int(r["SequenceNumber"]), r["Data"], arrived.timestamp()) for r in batch])
        assert not rows.dead_letters, rows.dead_letters  # Firehose would have sent them to firehose-errors/
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows.rows, schema=PARQUET_SCHEMA), buffer, compression="snappy")
        key = f"{prefix}{DELIVERY_STREAM}-1-{arrived:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}"
        lake.write_bytes(key, buffer.getvalue())
        keys.append(key)
    return keys


def test_lambda_ticks_reach_the_realtime_watcher_through_the_emulated_chain(
    olist_home, tmp_path, monkeypatch, aws_env, main_template
):
    from moto.kinesis.models import KinesisBackend

    from olist_dw.lake import S3Lake

    names = stack_names(main_template)
    source = tmp_path / "source"
    write_products(source, 120)
    outage = KinesisOutage(KinesisBackend.put_records)
    monkeypatch.setattr(KinesisBackend, "put_records", outage.patch())
    monkeypatch.setattr("olist_dw.sim.kinesis.time.sleep", lambda seconds: None)  # the resend backoff
    with moto_server() as endpoint:
        kinesis, sqs, queue_url = _create_stack_resources(main_template, names, endpoint)
        env = {
            **aws_connection_env(endpoint),
            "AWS_ENDPOINT_URL": endpoint,  # the Lambda's own boto3 clients
            "OLIST_TARGET": "aws",
            "OLIST_SOURCE_DIR": str(source),
            "OLIST_AWS_REGION": REGION,
            "OLIST_S3_BUCKET": names.lake_bucket,
            "OLIST_SQS_QUEUE_URL": queue_url,
            # The Lambda's environment in the template: stream and tables by their names.
            "OLIST_KINESIS_STREAM": names.kinesis_stream,
            "OLIST_SIM_CONFIG_TABLE": names.sim_config_table,
            "OLIST_SIM_INVENTORY_TABLE": names.sim_inventory_table,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = get_settings()
        store = get_target(settings).state_store()
        inventory = reset(store, settings, speed_factor=SPEED)  # `olist-dw simulate --reset` on AWS
        start = store.load_config().simulated_time
        window = timedelta(seconds=settings.sim_tick_seconds * SPEED)
        handler = _load_handler()

        ticks = handler.handler({"ticks": 2}, None)["ticks"]
        outage.on = True
        with pytest.raises(KinesisPutError):
            handler.handler({}, None)  # Lambda reports the invocation failed; its window stays pending
        outage.on = False
        assert outage.calls > 1 and store.load_config().simulated_time == start + 2 * window
        ticks += handler.handler({"ticks": 2}, None)["ticks"]  # the retry finishes it, then ticks on

        assert [t["resumed"] for t in ticks] == [False, False, True, False]
        assert store.load_config().simulated_time == start + 4 * window
        records = _read_stream(kinesis, names.kinesis_stream)
        lake = S3Lake(names.lake_bucket, settings.aws_conn_id)
        keys = _deliver_like_firehose(records, lake, names.firehose_prefix)

        trigger = rebuilt(get_target(settings).realtime_trigger_asset().watchers[0].trigger)
        fired = asyncio.run(first_event(trigger))
        delivered = [pq.read_table(io.BytesIO(lake.read_bytes(key))).to_pylist() for key in keys]
        levels = store.stock_levels()

    # The watcher fired with one S3 "Object Created" event per object Firehose's stand-in wrote.
    assert fired.payload["status"] == "success"
    bodies = [json.loads(m["Body"]) for m in fired.payload["message_batch"]]
    assert {(b["source"], b["detail-type"], b["detail"]["bucket"]["name"]) for b in bodies} == {
        ("aws.s3", "Object Created", names.lake_bucket)
    }
    assert sorted(b["detail"]["object"]["key"] for b in bodies) == sorted(keys)
    assert all(key.startswith("bronze-sim/dt=") and "/hour=" in key for key in keys)
    # Every accepted order landed, by event id exactly once or more often with the same content (the
    # half the failed invocation got onto the stream was sent again by its retry); the stock paid once.
    rows = [row for file_rows in delivered for row in file_rows]
    assert len(rows) == len(records) > sum(t["accepted"] for t in ticks) > 0
    copies: dict[str, list[dict]] = {}
    for row in rows:
        copies.setdefault(row["event_id"], []).append({**row, "produced_at": None})
    assert len(copies) == sum(t["accepted"] for t in ticks)
    assert all(c == [c[0]] * len(c) for c in copies.values())
    sold = Counter(item["product_id"] for c in copies.values() for item in c[0]["items"])
    assert sum(sold.values()) == sum(t["items_sold"] for t in ticks)
    assert levels == {i.product_id: i.stock_level - sold[i.product_id] for i in inventory}
    events = [json.loads(b64decode(b) if isinstance(b, str) else b) for b in (r["Data"] for r in records)]
    purchased = sorted(e["purchased_at"] for e in events)
    assert str(start) <= purchased[0] and purchased[-1] < str(start + 4 * window)
