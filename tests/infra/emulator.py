"""A moto server on 127.0.0.1 and the resource names of infra/olist.yaml, for the emulator rehearsals."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from olist_dw.infra.templates import render_value

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
ENV_NAME = "dev"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset(endpoint: str) -> None:
    """Empty moto's backends: they live in this process and outlive a stopped server (the next server, or an
    in-process mock, would find this test's tables)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback, our own server)
        response.read()


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's ThreadedMotoServer on a free loopback port, empty; yields its endpoint URL; at the end empties
    moto's state again and stops the server."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        _reset(endpoint)
        yield endpoint
    finally:
        try:
            _reset(endpoint)
        finally:
            server.stop()


@dataclass(frozen=True)
class StackNames:
    """What the main template names its resources, with EnvName, account and region filled in."""

    lake_bucket: str
    landed_queue: str
    landed_rule: str
    landed_rule_pattern: dict[str, Any]
    kinesis_stream: str
    sim_config_table: str
    sim_inventory_table: str
    firehose_prefix: str
    glue_database: str
    glue_crawler: str
    glue_crawler_s3_targets: list[str]
    glue_job: str
    glue_job_default_arguments: dict[str, str]


ARTIFACTS_BUCKET = f"olist-{ENV_NAME}-artifacts-{ACCOUNT}"  # ArtifactsBucketName has no default


def stack_names(template: dict[str, Any], env_name: str = ENV_NAME) -> StackNames:
    resources = template["Resources"]
    names = {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items() if "Default" in spec}
    names.update({"EnvName": env_name, "AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": "aws"})
    names.setdefault("ArtifactsBucketName", ARTIFACTS_BUCKET)

    def prop(logical_id: str, *path: str) -> Any:
        value = resources[logical_id]["Properties"]
        for part in path:
            value = value[part]
        return value

    names["LakeBucket"] = render_value(prop("LakeBucket", "BucketName"), names)  # Ref of a bucket: its name
    return StackNames(
        lake_bucket=names["LakeBucket"],
        landed_queue=render_value(prop("SimLandedQueue", "QueueName"), names),
        landed_rule=render_value(prop("SimLandedRule", "Name"), names),
        landed_rule_pattern=json.loads(render_value(prop("SimLandedRule", "EventPattern"), names)),
        kinesis_stream=render_value(prop("OrdersStream", "Name"), names),
        sim_config_table=render_value(prop("SimConfigTable", "TableName"), names),
        sim_inventory_table=render_value(prop("SimInventoryTable", "TableName"), names),
        firehose_prefix=prop("SimOrdersDelivery", "ExtendedS3DestinationConfiguration", "Prefix"),
        glue_database=render_value(prop("GlueDatabase", "DatabaseInput", "Name"), names),
        glue_crawler=render_value(prop("BronzeCrawler", "Name"), names),
        glue_crawler_s3_targets=[render_value(t["Path"], names) for t in prop("BronzeCrawler", "Targets", "S3Targets")],
        glue_job=render_value(prop("CsvToParquetJob", "Name"), names),
        glue_job_default_arguments={
            flag: render_value(value, names) for flag, value in prop("CsvToParquetJob", "DefaultArguments").items()
        },
    )


def object_created_event(bucket: str, key: str, size: int, etag: str = "b1946ac92492d2347c6235b4d2611184") -> dict:
    """An S3 "Object Created" event as S3 sends it to EventBridge and EventBridge delivers it to an SQS target
    (the whole event is the message body). Shape from AWS's "EventBridge event message structure" (S3 user
    guide, ev-events)."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": "2026-12-02T12:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": etag, "sequencer": "00617F08299329D189"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": ACCOUNT,
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }


def aws_connection_env(endpoint: str) -> dict[str, str]:
    """AIRFLOW_CONN_AWS_DEFAULT pointing the Amazon provider's hooks (sync and async) at the emulator."""
    extra = {"endpoint_url": endpoint, "region_name": REGION}
    return {"AIRFLOW_CONN_AWS_DEFAULT": json.dumps({"conn_type": "aws", "extra": extra})}
