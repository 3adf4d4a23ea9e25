"""sim_orders is partitioned by Firehose's dt/hour folders, and the partitions of landed files are registered
(Spectrum reads only registered partitions): the template, the Airflow worker's grant, and the registration
against moto's Glue with the table exactly as the template declares it."""

from __future__ import annotations

import copy
import re

import boto3
import pytest
from moto import mock_aws

from olist_dw.errors import UserFacingError
from olist_dw.infra.sim_partitions import partitions_of_keys, register_sim_partitions

pytestmark = pytest.mark.aws
LAKE = "olist-test-lake"


def table_input(main_template) -> dict:
    table = copy.deepcopy(main_template["Resources"]["SimOrdersTable"]["Properties"]["TableInput"])
    location = table["StorageDescriptor"]["Location"]["Fn::Sub"]
    table["StorageDescriptor"]["Location"] = location.replace("${LakeBucket}", LAKE)
    return table


def test_the_table_is_partitioned_like_firehose_writes(main_template):
    table = main_template["Resources"]["SimOrdersTable"]["Properties"]["TableInput"]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}, {"Name": "hour", "Type": "string"}]
    prefix = main_template["Resources"]["SimOrdersDelivery"]["Properties"]["ExtendedS3DestinationConfiguration"]
    folders = re.findall(r"(\w+)=!\{timestamp:([^}]+)\}", prefix["Prefix"])
    assert folders == [("dt", "yyyy-MM-dd"), ("hour", "HH")]
    assert not any(key.startswith("projection.") for key in table["Parameters"])  # Athena-only, Spectrum ignores it


def test_the_airflow_worker_may_register_partitions_of_sim_orders_only(main_template):
    statements = main_template["Resources"]["AirflowWorkerPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    grant = next(s for s in statements if s["Sid"] == "RegisterSimPartitions")
    assert {"glue:BatchCreatePartition", "glue:GetTable"} <= set(grant["Action"])
    tables = [r["Fn::Sub"] for r in grant["Resource"] if ":table/" in r["Fn::Sub"]]
    assert tables == [
        "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${GlueDatabaseName}/sim_orders"
    ]


def test_partitions_are_read_from_firehose_keys_only():
    keys = [
        "bronze-sim/dt=2026-12-02/hour=07/olist-dev-sim-orders-1-2026-12-02-07-01-00-abc.parquet",
        "bronze-sim/dt=2026-12-02/hour=07/another.parquet",
        "bronze-sim/dt=2026-12-02/hour=23/late.parquet",
        "bronze-sim/dt=2026-12-03/hour=00/replay-1.parquet",
        "bronze-sim/dt=2026-12-02/hour=24/not-an-hour.parquet",
        "bronze-sim-errors/dt=2026-12-02/hour=07/bad.jsonl",
        "bronze-sim/stray.parquet",
    ]
    assert partitions_of_keys(keys) == [("2026-12-02", "07"), ("2026-12-02", "23"), ("2026-12-03", "00")]


def test_registering_creates_each_partition_once_at_its_folder(aws_env, main_template):
    with mock_aws():
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": "olist_lake"})
        glue.create_table(DatabaseName="olist_lake", TableInput=table_input(main_template))
        first = ["bronze-sim/dt=2026-12-02/hour=07/a.parquet", "bronze-sim/dt=2026-12-02/hour=08/b.parquet"]
        assert register_sim_partitions(glue, "olist_lake", "sim_orders", first) == [
            ("2026-12-02", "07"),
            ("2026-12-02", "08"),
        ]
        again = [*first, "bronze-sim/dt=2026-12-02/hour=09/c.parquet"]
        assert register_sim_partitions(glue, "olist_lake", "sim_orders", again) == [("2026-12-02", "09")]
        partitions = glue.get_partitions(DatabaseName="olist_lake", TableName="sim_orders")["Partitions"]
    by_values = {tuple(p["Values"]): p["StorageDescriptor"] for p in partitions}
    assert sorted(by_values) == [("2026-12-02", "07"), ("2026-12-02", "08"), ("2026-12-02", "09")]
    descriptor = by_values[("2026-12-02", "08")]
    assert descriptor["Location"] == f"s3://{LAKE}/bronze-sim/dt=2026-12-02/hour=08/"
    columns = table_input(main_template)["StorageDescriptor"]["Columns"]
    assert [c["Name"] for c in descriptor["Columns"]] == [c["Name"] for c in columns]
    assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")


def test_a_table_without_the_partition_keys_is_refused_by_name(aws_env, main_template):
    """The table as the template had it before (no partition keys): nothing could be registered."""
    unpartitioned = table_input(main_template)
    unpartitioned.pop("PartitionKeys")
    with mock_aws():
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": "olist_lake"})
        glue.create_table(DatabaseName="olist_lake", TableInput=unpartitioned)
        with pytest.raises(UserFacingError, match=r"olist_lake\.sim_orders has partition keys \[\], not \[dt, hour\]"):
            register_sim_partitions(glue, "olist_lake", "sim_orders", ["bronze-sim/dt=2026-12-02/hour=07/a.parquet"])


def test_the_aws_target_registers_the_partitions_of_the_lookback_window(
    aws_env, main_template, monkeypatch, olist_home
):
    """What olist_realtime runs before dbt on AWS: the files of today and the lookback days (UTC), not older."""
    from datetime import UTC, datetime, timedelta

    from olist_dw.dbt_runner import project_vars
    from olist_dw.settings import Settings
    from olist_dw.targets import get_target

    monkeypatch.setenv("OLIST_TARGET", "aws")
    monkeypatch.setenv("OLIST_S3_BUCKET", LAKE)
    lookback = int(project_vars()["realtime_lookback_days"])
    today = datetime.now(UTC).date()
    days = [f"{today - timedelta(days=n):%Y-%m-%d}" for n in (0, lookback, lookback + 1)]
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=LAKE)
        for day in days:
            s3.put_object(Bucket=LAKE, Key=f"bronze-sim/dt={day}/hour=07/part.parquet", Body=b"x")
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": "olist_lake"})
        glue.create_table(DatabaseName="olist_lake", TableInput=table_input(main_template))

        target = get_target(Settings())
        assert target.registers_lake_partitions
        assert target.register_realtime_partitions() == {"files": 2, "partitions_registered": 2}
        assert target.register_realtime_partitions() == {"files": 2, "partitions_registered": 0}  # idempotent
        partitions = glue.get_partitions(DatabaseName="olist_lake", TableName="sim_orders")["Partitions"]
    assert sorted(tuple(p["Values"]) for p in partitions) == sorted((day, "07") for day in days[:2])
