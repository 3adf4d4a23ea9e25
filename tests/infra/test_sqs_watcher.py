"""The AWS target's AssetWatcher fires: its SqsSensorTrigger (aiobotocore) against moto's SQS on 127.0.0.1.

The queue has the template's name; the message is the S3 "Object Created" event EventBridge delivers; the
trigger is the one olist_realtime is scheduled on (parsed from the DAG file with OLIST_TARGET=aws), rebuilt
from its serialized form as the triggerer rebuilds it, and its async run() is bounded by asyncio.wait_for.
"""

from __future__ import annotations

import asyncio
import importlib
import json

import pytest

from olist_dw.settings import PROJECT_ROOT, get_settings
from olist_dw.targets import get_target
from tests.infra.emulator import REGION, aws_connection_env, moto_server, object_created_event, stack_names

pytestmark = pytest.mark.aws

FIRE_TIMEOUT_S = 30


@pytest.fixture
def emulator(aws_env, monkeypatch, main_template):
    names = stack_names(main_template)
    with moto_server() as endpoint:
        import boto3

        sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
        queue_url = sqs.create_queue(QueueName=names.landed_queue)["QueueUrl"]
        for name, value in aws_connection_env(endpoint).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("OLIST_TARGET", "aws")
        monkeypatch.setenv("OLIST_S3_BUCKET", names.lake_bucket)
        monkeypatch.setenv("OLIST_SQS_QUEUE_URL", queue_url)
        yield sqs, queue_url, names


def scheduling_assets(dag_file: str, dag_id: str) -> list:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / dag_file))
    assert not bag.import_errors, bag.import_errors
    return list(bag.dags[dag_id].timetable.asset_condition.objects)


def rebuilt(trigger):
    """The trigger as the triggerer runs it: from its serialized class path and arguments."""
    classpath, kwargs = trigger.serialize()
    module, name = classpath.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)(**kwargs)


async def first_event(trigger):
    events = trigger.run()
    try:
        return await asyncio.wait_for(anext(events), timeout=FIRE_TIMEOUT_S)
    finally:
        await events.aclose()


def test_the_realtime_watcher_fires_on_an_object_created_event_from_the_queue(emulator):
    sqs, queue_url, names = emulator
    key = "bronze-sim/dt=2026-12-02/hour=12/olist-dev-sim-orders-1-2026-12-02-12-00-00-abc.parquet"
    event = object_created_event(names.lake_bucket, key, size=2048)
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))

    (asset,) = scheduling_assets("olist_realtime.py", "olist_realtime")
    target_asset = get_target(get_settings()).realtime_trigger_asset()
    expected = ("olist_bronze_sim", f"s3://{names.lake_bucket}/bronze-sim")
    assert (asset.name, asset.uri) == (target_asset.name, target_asset.uri) == expected
    (watcher,) = asset.watchers
    assert watcher.trigger.serialize() == target_asset.watchers[0].trigger.serialize()
    assert watcher.trigger.serialize()[1]["sqs_queue"] == queue_url

    fired = asyncio.run(first_event(rebuilt(watcher.trigger)))

    assert fired.payload["status"] == "success"
    (message,) = fired.payload["message_batch"]
    assert json.loads(message["Body"]) == event
    # Received messages are deleted: the next poll finds the queue empty (no second run for the same file).
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)


def test_only_bronze_sim_objects_of_the_lake_reach_the_watcher_through_the_templates_rule(emulator):
    """The target sets no message filter (a message it filtered out would stay in the queue until the DLQ):
    the EventBridge rule is the filter. moto's EventBridge runs the template's rule (its pattern, the queue
    as its target) on S3 events put on the default bus; only the bronze-sim/ object of the lake gets through."""
    import boto3

    sqs, queue_url, names = emulator
    trigger = get_target(get_settings()).realtime_trigger_asset().watchers[0].trigger
    assert trigger.message_filtering is None
    events = boto3.client("events", region_name=REGION, endpoint_url=sqs.meta.endpoint_url)
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=names.landed_rule, EventPattern=json.dumps(names.landed_rule_pattern), State="ENABLED")
    events.put_targets(Rule=names.landed_rule, Targets=[{"Id": "airflow-asset-watcher-queue", "Arn": queue_arn}])
    landed_key = "bronze-sim/dt=2026-12-02/hour=12/f.parquet"
    landed = object_created_event(names.lake_bucket, landed_key, 1)
    others = [
        object_created_event(names.lake_bucket, "bronze/olist_orders_dataset.csv", 1),
        object_created_event(names.lake_bucket, "firehose-errors/format-conversion-failed/x", 1),
        object_created_event("someone-elses-bucket", landed_key, 1),
        {**landed, "detail-type": "Object Deleted"},
    ]
    entries = [
        {
            "Source": e["source"],
            "DetailType": e["detail-type"],
            "Resources": e["resources"],
            "Detail": json.dumps(e["detail"]),
        }
        for e in [*others, landed]
    ]
    assert events.put_events(Entries=entries)["FailedEntryCount"] == 0

    fired = asyncio.run(first_event(rebuilt(trigger)))

    bodies = [json.loads(m["Body"]) for m in fired.payload["message_batch"]]
    assert [(b["detail-type"], b["detail"]["bucket"]["name"], b["detail"]["object"]["key"]) for b in bodies] == [
        ("Object Created", names.lake_bucket, landed_key)
    ]
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)
