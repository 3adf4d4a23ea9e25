"""The simulated shop: clock, customers, order drawing and one tick. Imported by the Lambda, Airflow and the CLI.

A tick is at least once: every order whose stock it reserves reaches the stream, even if the stream fails.

1. Claim: a conditional write on the clock record marks the window [simulated_time, simulated_time + tick
   length x speed factor) as pending (the clock itself does not move yet). A tick that loses the claim does
   nothing: a concurrent tick holds the window, or has moved the clock.
2. Reserve: the window's orders are drawn (3-20) and every item is reserved with an atomic conditional
   decrement; an order whose item cannot be reserved is rejected and gives back what it took (stock never goes
   below zero). The accepted orders' indices are recorded on the pending claim.
3. Send, then commit: the accepted orders go to the stream, and only then does the clock move to the window's
   end (conditionally, once). If the stream fails, the claim stays pending with its reservations: the next tick
   (the Lambda's retry, or the next minute's) re-draws the same orders and re-sends the accepted ones, with the
   same event ids, before it commits. The warehouse keeps one copy per event id (realtime.fct_items_sold).

Draws are deterministic per (seed, window start): the order count, the orders and their event ids (uuid5 of
seed, window start and order index) come out the same on every attempt. On SQLite the whole tick is one
transaction (a failure rolls the claim and the reservations back, and the retry redoes the window); on
DynamoDB each step is its own conditional write. A claim still pending without its accepted orders after
CLAIM_LEASE was abandoned mid-reservation (its process died): the next tick takes the window over; the units
that dead attempt reserved stay taken (the one case where stock, never an order, can be lost).
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from olist_dw.contract import BRAZIL, BRAZIL_STATES, TIMESTAMP_FORMAT, plain
from olist_dw.errors import UserFacingError

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("order_event.schema.json")


def event_schema() -> dict:
    """The order event JSON Schema, with the contract's state codes as customer_state's enum (one list)."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["properties"]["customer_state"]["enum"] = list(BRAZIL_STATES)
    return schema


# The simulated shop opens the day after the last purchase of the Olist dataset.
SIM_START = datetime(2018, 10, 18, 0, 0, 0)
# Share of Olist customers per state (SP about 42%), CEP ranges (first five digits) and capital of each state:
# zip prefixes and cities that agree with the state. Defined once in olist_dw.contract.BRAZIL.
STATE_WEIGHTS: dict[str, int] = {s.code: s.customers for s in BRAZIL}
STATE_ZIP_RANGES: dict[str, tuple[tuple[int, int], ...]] = {s.code: s.zip_ranges for s in BRAZIL}
STATE_CAPITALS: dict[str, str] = {s.code: plain(s.capital) for s in BRAZIL}
# Items per order in Olist (most orders have one item).
ITEM_COUNT_WEIGHTS = {1: 900, 2: 75, 3: 15, 4: 6, 5: 3, 6: 1}


class SimulationNotInitialisedError(UserFacingError):
    """The state store has no clock record yet."""


# Longer than any attempt can run (a Lambda stops at 15 minutes at most): a claim this old without its accepted
# orders belongs to a process that died while reserving.
CLAIM_LEASE = timedelta(minutes=15)
# Event ids are uuid5(EVENT_ID_NAMESPACE, "<seed>:<window start>:<order index>").
EVENT_ID_NAMESPACE = uuid.UUID("6f6c6973-742d-6477-2d73-696d2d6f7264")


@dataclass(frozen=True)
class PendingTick:
    """A claimed window whose orders are not confirmed on the stream yet: the clock has not moved past it."""

    window_start: datetime
    window_end: datetime
    orders_range: tuple[int, int]  # (orders_min, orders_max) of the claim: the settings may change before a retry
    claimed_at: datetime  # wall clock (UTC) of the claim; also the claim's token
    accepted: tuple[int, ...] | None = None  # indices of the orders holding their stock; None while reserving


@dataclass(frozen=True)
class SimConfig:
    """The clock record: survives restarts and redeploys, so the simulation resumes where it stopped."""

    simulated_time: datetime
    speed_factor: float
    seed: int
    catalogue_version: str  # changes on every reseed: warm caches of the product list notice it
    pending: PendingTick | None = None


@dataclass(frozen=True)
class Product:
    product_id: str
    category: str | None
    price: Decimal


@dataclass(frozen=True)
class InventoryItem:
    product_id: str
    category: str | None
    price: Decimal
    stock_level: int
    popularity_rank: int  # 0 = best seller: orders favour low ranks (Zipf), so popular products sell out


class StateStore(Protocol):
    """Where the clock and the inventory live: SQLite locally, DynamoDB on AWS."""

    def load_config(self) -> SimConfig | None: ...

    def claim_window(
        self,
        expected: datetime,
        new_time: datetime,
        orders_range: tuple[int, int] = (0, 0),
        claimed_at: datetime | None = None,
        abandoned: PendingTick | None = None,
    ) -> bool:
        """Mark [expected, new_time) pending while the clock is at `expected` and no live claim holds it (or
        the claim is `abandoned`, compared by its claimed_at); False if another tick claimed or moved it."""

    def record_accepted(self, window_start: datetime, claimed_at: datetime, accepted: Sequence[int]) -> bool:
        """Store the accepted orders on the claim made at `claimed_at`; False if that claim was taken over."""

    def commit_window(self, window_start: datetime) -> bool:
        """Move the clock to the pending window's end and clear the claim; False if it is already committed."""

    def set_speed_factor(self, speed_factor: float) -> None: ...

    def catalogue(self) -> list[tuple[Product, int]]:
        """Every product with its popularity rank (no stock levels: those change all the time)."""

    def reserve(self, product_id: str) -> bool:
        """Atomic conditional decrement: take one unit if stock > 0."""

    def release(self, product_id: str) -> None:
        """Give back one unit reserved by an order that was then rejected."""

    def stock_levels(self) -> dict[str, int]: ...

    def reset(self, config: SimConfig, inventory: Sequence[InventoryItem]) -> None: ...

    def tick_transaction(self) -> AbstractContextManager[None]:
        """Groups one tick's writes where the store can (SQLite); a no-op elsewhere (DynamoDB)."""


class Stream(Protocol):
    """Where accepted orders go: the embedded durable log locally, Kinesis on AWS."""

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> None:
        """Append (partition key, data) records; every record is durable when this returns."""


# --------------------------------------------------------------------------------------------------
# Cached pools: Faker is slow, and a warm Lambda keeps module state between invocations.


@dataclass(frozen=True)
class CustomerPools:
    names: tuple[str, ...]
    cities: tuple[str, ...]
    states: tuple[str, ...]
    state_cum_weights: tuple[float, ...]


@lru_cache(maxsize=4)
def customer_pools(seed: int, size: int = 2000) -> CustomerPools:
    """Faker pt_BR names and city names, built once per seed and cached for the life of the process."""
    from faker import Faker

    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    names = tuple(fake.name() for _ in range(size))
    cities = tuple(fake.city().lower() for _ in range(size // 4))
    states = tuple(STATE_WEIGHTS)
    return CustomerPools(names, cities, states, tuple(itertools.accumulate(STATE_WEIGHTS.values())))


@dataclass
class Catalogue:
    products: list[Product]
    cum_weights: list[float]

    def pick(self, rng: random.Random) -> Product:
        index = bisect.bisect_right(self.cum_weights, rng.random() * self.cum_weights[-1])
        return self.products[min(index, len(self.products) - 1)]


_CATALOGUES: dict[tuple[str, str], Catalogue] = {}


def cached_catalogue(store: StateStore, store_key: str, config: SimConfig) -> Catalogue:
    """The product list, read from the store once per catalogue version (Lambda: once per warm container)."""
    key = (store_key, config.catalogue_version)
    catalogue = _CATALOGUES.get(key)
    if catalogue is None:
        ranked = sorted(store.catalogue(), key=lambda pair: pair[1])
        if not ranked:
            raise SimulationNotInitialisedError("the simulation inventory is empty: run `olist-dw simulate --reset`")
        products = [product for product, _ in ranked]
        # Zipf-like popularity (s = 0.8): a few products sell a lot and run out of stock.
        weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(products))]
        catalogue = Catalogue(products, list(itertools.accumulate(weights)))
        _CATALOGUES.clear()
        _CATALOGUES[key] = catalogue
    return catalogue


# --------------------------------------------------------------------------------------------------
# Drawing orders


@dataclass
class DrawnOrder:
    event: dict
    product_ids: list[str]


def _hex32(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def event_id(seed: int, window_start: datetime, index: int) -> str:
    """The same on every attempt at the window: a retried tick re-sends the ids the warehouse deduplicates."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{seed}:{window_start.isoformat()}:{index}"))


def draw_window(
    seed: int,
    window_start: datetime,
    window_end: datetime,
    orders_range: tuple[int, int],
    catalogue: Catalogue,
    pools: CustomerPools,
) -> list[DrawnOrder]:
    """The window's orders: the same for the same seed, window and range (a retry passes the claim's range)."""
    rng = random.Random(f"{seed}:{window_start.isoformat()}")
    window_seconds = (window_end - window_start).total_seconds()
    return [
        draw_order(rng, window_start, window_seconds, catalogue, pools, event_id(seed, window_start, index))
        for index in range(rng.randint(*orders_range))
    ]


def draw_order(
    rng: random.Random,
    window_start: datetime,
    window_seconds: float,
    catalogue: Catalogue,
    pools: CustomerPools,
    event_id: str,
) -> DrawnOrder:
    state = rng.choices(pools.states, cum_weights=pools.state_cum_weights)[0]
    low, high = rng.choice(STATE_ZIP_RANGES[state])
    city = STATE_CAPITALS[state] if rng.random() < 0.35 else rng.choice(pools.cities)
    purchased_at = window_start + timedelta(seconds=int(rng.random() * window_seconds))
    n_items = rng.choices(tuple(ITEM_COUNT_WEIGHTS), weights=tuple(ITEM_COUNT_WEIGHTS.values()))[0]
    products = [catalogue.pick(rng) for _ in range(n_items)]
    items = [
        {"order_item_id": i, "product_id": p.product_id, "product_category": p.category, "price": p.price}
        for i, p in enumerate(products, start=1)
    ]
    rng.getrandbits(128)  # where the event id used to be drawn: the draws that follow stay as they were
    event = {
        "schema_version": SCHEMA_VERSION,
        "event_id": event_id,
        "event_type": "order_placed",
        "order_id": _hex32(rng),
        "customer_id": _hex32(rng),
        "customer_unique_id": _hex32(rng),
        "customer_name": rng.choice(pools.names),
        "customer_city": city,
        "customer_state": state,
        "customer_zip_code_prefix": f"{rng.randint(low, high):05d}",
        "purchased_at": purchased_at.strftime(TIMESTAMP_FORMAT),
        "produced_at": "",  # stamped when the tick puts it on the stream
        "order_total": sum((p.price for p in products), Decimal("0")),
        "items": items,
    }
    return DrawnOrder(event, [p.product_id for p in products])


def _json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


def encode_event(event: dict) -> bytes:
    return json.dumps(event, default=_json_default, separators=(",", ":")).encode()


# --------------------------------------------------------------------------------------------------
# One tick


@dataclass
class TickResult:
    window_start: datetime
    window_end: datetime
    accepted: int = 0
    rejected: int = 0
    items_sold: int = 0
    claimed: bool = True
    resumed: bool = False  # this tick finished a window an earlier attempt had reserved but not sent
    event_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "window_start": self.window_start.strftime(TIMESTAMP_FORMAT),
            "window_end": self.window_end.strftime(TIMESTAMP_FORMAT),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "items_sold": self.items_sold,
            "claimed": self.claimed,
            "resumed": self.resumed,
        }


def place_order(store: StateStore, product_ids: Sequence[str]) -> bool:
    """Reserve every item of one order, or none: a failed reservation releases the ones already taken."""
    reserved: list[str] = []
    for product_id in product_ids:
        if not store.reserve(product_id):
            for taken in reserved:
                store.release(taken)
            return False
        reserved.append(product_id)
    return True


def load_config(store: StateStore) -> SimConfig:
    config = store.load_config()
    if config is None:
        raise SimulationNotInitialisedError(
            "the simulation has no clock yet: run `olist-dw simulate --reset` to seed inventory and clock"
        )
    return config


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def run_tick(
    store: StateStore,
    stream: Stream,
    *,
    store_key: str,
    tick_seconds: float,
    orders_min: int,
    orders_max: int,
    now: Callable[[], datetime] = _utcnow,
) -> TickResult:
    """Sell one window's orders and move the clock past it (or finish the window an earlier attempt left
    pending); returns what happened. Raises what the stream raises: the window stays pending, for a retry."""
    config = load_config(store)
    pending = config.pending
    abandoned = None
    if pending is not None:
        if pending.accepted is None and now() - pending.claimed_at < CLAIM_LEASE:
            # Another tick is reserving this window right now: it sends and commits it.
            return TickResult(pending.window_start, pending.window_end, claimed=False)
        window_start, window_end, orders_range = pending.window_start, pending.window_end, pending.orders_range
        abandoned = pending if pending.accepted is None else None
    else:
        window_start = config.simulated_time
        window_end = window_start + timedelta(seconds=tick_seconds * config.speed_factor)
        orders_range = (orders_min, orders_max)
    result = TickResult(window_start, window_end)
    catalogue = cached_catalogue(store, store_key, config)
    drawn = draw_window(config.seed, window_start, window_end, orders_range, catalogue, customer_pools(config.seed))
    with store.tick_transaction():
        if pending is not None and pending.accepted is not None:
            accepted = list(pending.accepted)  # their stock is reserved: send them, reserve nothing
            result.resumed = True
        else:
            claimed_at = now()
            if not store.claim_window(window_start, window_end, orders_range, claimed_at, abandoned):
                result.claimed = False
                return result
            accepted = [index for index, order in enumerate(drawn) if place_order(store, order.product_ids)]
            if not store.record_accepted(window_start, claimed_at, accepted):
                # Taken over as abandoned while we reserved: the new holder sells the window, give ours back.
                for index in accepted:
                    for product_id in drawn[index].product_ids:
                        store.release(product_id)
                result.claimed = False
                return result
        produced_at = datetime.now(UTC).strftime(TIMESTAMP_FORMAT + ".%f")
        records: list[tuple[str, bytes]] = []
        for index in accepted:
            order = drawn[index]
            order.event["produced_at"] = produced_at
            records.append((order.event["order_id"], encode_event(order.event)))
            result.items_sold += len(order.product_ids)
            result.event_ids.append(order.event["event_id"])
        result.accepted, result.rejected = len(accepted), len(drawn) - len(accepted)
        # Every accepted order is on the stream before the clock moves: a failure here leaves the window
        # pending (SQLite: rolls the whole tick back), and the next attempt sends the same event ids again.
        if records:
            stream.put_records(records)
        store.commit_window(window_start)  # False: a concurrent retry committed it first, after sending the same
    return result


def new_config(seed: int, speed_factor: float, start: datetime = SIM_START) -> SimConfig:
    return SimConfig(start, speed_factor, seed, catalogue_version=uuid.uuid4().hex)
