"""The simulation's AWS resources as the infra stack makes them, inside a moto mock (tests only)."""

from __future__ import annotations

import boto3

TABLE_KEYS = (("Sim_Config", "config_id"), ("Sim_Inventory", "product_id"))


def create_simulation_tables(region: str, stream: str | None = None, shards: int = 1):
    """Sim_Config and Sim_Inventory (on-demand, string hash keys), and the Kinesis stream when named.
    Returns the DynamoDB client."""
    dynamodb = boto3.client("dynamodb", region_name=region)
    for table, key in TABLE_KEYS:
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    if stream:
        boto3.client("kinesis", region_name=region).create_stream(StreamName=stream, ShardCount=shards)
    return dynamodb
