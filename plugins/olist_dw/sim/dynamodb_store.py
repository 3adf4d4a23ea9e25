"""The AWS state store: the clock in DynamoDB `Sim_Config`, the inventory in `Sim_Inventory`.

Table keys (the CloudFormation in infra/ creates them so): `Sim_Config` hash key `config_id` (S, one item
"simulation"); `Sim_Inventory` hash key `product_id` (S). Every reservation is one conditional `UpdateItem`
(`stock_level > 0`), which DynamoDB applies atomically per item; the clock moves with a conditional update on
its previous value, so two overlapping invocations never draw the same window.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from olist_dw.sim.core import InventoryItem, Product, SimConfig

CONFIG_KEY = {"config_id": "simulation"}


class DynamoDBStateStore:
    def __init__(self, config_table: str, inventory_table: str, region: str, client=None, resource=None):
        import boto3

        self.config_table_name = config_table
        self.inventory_table_name = inventory_table
        self._client = client or boto3.client("dynamodb", region_name=region)
        resource = resource or boto3.resource("dynamodb", region_name=region)
        self._config = resource.Table(config_table)
        self._inventory = resource.Table(inventory_table)

    @property
    def store_key(self) -> str:
        return f"dynamodb:{self.config_table_name}:{self.inventory_table_name}"

    @contextmanager
    def tick_transaction(self) -> Iterator[None]:
        yield  # each conditional update is atomic on its own; a tick spans many items

    def load_config(self) -> SimConfig | None:
        item = self._config.get_item(Key=CONFIG_KEY, ConsistentRead=True).get("Item")
        if item is None:
            return None
        return SimConfig(
            datetime.fromisoformat(item["simulated_time"]),
            float(item["speed_factor"]),
            int(item["seed"]),
            str(item["catalogue_version"]),
        )

    def claim_window(self, expected: datetime, new_time: datetime) -> bool:
        try:
            self._config.update_item(
                Key=CONFIG_KEY,
                UpdateExpression="SET simulated_time = :new",
                ConditionExpression="simulated_time = :expected",
                ExpressionAttributeValues={
                    ":new": new_time.isoformat(sep=" "),
                    ":expected": expected.isoformat(sep=" "),
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def set_speed_factor(self, speed_factor: float) -> None:
        self._config.update_item(
            Key=CONFIG_KEY,
            UpdateExpression="SET speed_factor = :speed",
            ExpressionAttributeValues={":speed": Decimal(str(speed_factor))},
        )

    def catalogue(self) -> list[tuple[Product, int]]:
        products = []
        kwargs = {"ProjectionExpression": "product_id, category, price, popularity_rank"}
        while True:
            page = self._inventory.scan(**kwargs)
            for item in page["Items"]:
                products.append(
                    (
                        Product(item["product_id"], item.get("category"), Decimal(item["price"])),
                        int(item["popularity_rank"]),
                    )
                )
            if "LastEvaluatedKey" not in page:
                return products
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def reserve(self, product_id: str) -> bool:
        try:
            self._client.update_item(
                TableName=self.inventory_table_name,
                Key={"product_id": {"S": product_id}},
                UpdateExpression="SET stock_level = stock_level - :one",
                ConditionExpression="stock_level > :zero",
                ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, product_id: str) -> None:
        self._client.update_item(
            TableName=self.inventory_table_name,
            Key={"product_id": {"S": product_id}},
            UpdateExpression="ADD stock_level :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    def stock_levels(self) -> dict[str, int]:
        levels = {}
        kwargs = {"ProjectionExpression": "product_id, stock_level", "ConsistentRead": True}
        while True:
            page = self._inventory.scan(**kwargs)
            levels.update({item["product_id"]: int(item["stock_level"]) for item in page["Items"]})
            if "LastEvaluatedKey" not in page:
                return levels
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def reset(self, config: SimConfig, inventory: Sequence[InventoryItem]) -> None:
        """Overwrite the inventory (removing products no longer in the catalogue), then the clock."""
        keep = {item.product_id for item in inventory}
        with self._inventory.batch_writer(overwrite_by_pkeys=["product_id"]) as batch:
            for product_id in set(self.stock_levels()) - keep:
                batch.delete_item(Key={"product_id": product_id})
            for item in inventory:
                record = {
                    "product_id": item.product_id,
                    "price": item.price,
                    "stock_level": item.stock_level,
                    "popularity_rank": item.popularity_rank,
                }
                if item.category is not None:
                    record["category"] = item.category
                batch.put_item(Item=record)
        self._config.put_item(
            Item={
                **CONFIG_KEY,
                "simulated_time": config.simulated_time.isoformat(sep=" "),
                "speed_factor": Decimal(str(config.speed_factor)),
                "seed": config.seed,
                "catalogue_version": config.catalogue_version,
            }
        )
