"""The AWS state store: the clock in DynamoDB `Sim_Config`, the inventory in `Sim_Inventory`.

Table keys (the CloudFormation in infra/ creates them so): `Sim_Config` hash key `config_id` (S, one item
"simulation"); `Sim_Inventory` hash key `product_id` (S). Every reservation is one conditional `UpdateItem`
(`stock_level > 0`), which DynamoDB applies atomically per item. A tick claims its window with a conditional
update of the clock item (the clock at the window's start, no live claim: `pending_*` attributes), records the
orders it accepted on the claim, and after sending them moves the clock with another conditional update: two
overlapping invocations never draw the same window, and a tick whose stream failed leaves the claim for the
next one to finish (olist_dw.sim.core).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from olist_dw.sim.core import InventoryItem, PendingTick, Product, SimConfig

CONFIG_KEY = {"config_id": "simulation"}
PENDING_ATTRIBUTES = ("pending_start", "pending_end", "pending_orders", "pending_claimed_at", "pending_accepted")


def _time(value: datetime) -> str:
    return value.isoformat(sep=" ")


def _pending(item: dict) -> PendingTick | None:
    if "pending_start" not in item:
        return None
    accepted = item.get("pending_accepted")
    return PendingTick(
        datetime.fromisoformat(item["pending_start"]),
        datetime.fromisoformat(item["pending_end"]),
        (int(item["pending_orders"][0]), int(item["pending_orders"][1])),
        datetime.fromisoformat(item["pending_claimed_at"]),
        None if accepted is None else tuple(int(index) for index in accepted),
    )


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
            _pending(item),
        )

    def _conditional_update(self, **kwargs) -> bool:
        try:
            self._config.update_item(Key=CONFIG_KEY, **kwargs)
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def claim_window(
        self,
        expected: datetime,
        new_time: datetime,
        orders_range: tuple[int, int] = (0, 0),
        claimed_at: datetime | None = None,
        abandoned: PendingTick | None = None,
    ) -> bool:
        values = {
            ":expected": _time(expected),
            ":end": _time(new_time),
            ":orders": list(orders_range),
            ":claimed_at": _time(claimed_at or datetime.now(UTC).replace(tzinfo=None)),
        }
        condition = "simulated_time = :expected AND attribute_not_exists(pending_start)"
        if abandoned is not None:
            condition = "simulated_time = :expected AND pending_claimed_at = :abandoned"
            values[":abandoned"] = _time(abandoned.claimed_at)
        return self._conditional_update(
            UpdateExpression=(
                "SET pending_start = :expected, pending_end = :end, pending_orders = :orders, "
                "pending_claimed_at = :claimed_at REMOVE pending_accepted"
            ),
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )

    def record_accepted(self, window_start: datetime, claimed_at: datetime, accepted: Sequence[int]) -> bool:
        return self._conditional_update(
            UpdateExpression="SET pending_accepted = :accepted",
            ConditionExpression="pending_start = :start AND pending_claimed_at = :claimed_at",
            ExpressionAttributeValues={
                ":accepted": list(accepted),
                ":start": _time(window_start),
                ":claimed_at": _time(claimed_at),
            },
        )

    def commit_window(self, window_start: datetime) -> bool:
        return self._conditional_update(
            UpdateExpression=f"SET simulated_time = pending_end REMOVE {', '.join(PENDING_ATTRIBUTES)}",
            ConditionExpression="pending_start = :start AND attribute_exists(pending_accepted)",
            ExpressionAttributeValues={":start": _time(window_start)},
        )

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
                "simulated_time": _time(config.simulated_time),
                "speed_factor": Decimal(str(config.speed_factor)),
                "seed": config.seed,
                "catalogue_version": config.catalogue_version,
            }
        )
