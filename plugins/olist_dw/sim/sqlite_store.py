"""The embedded state store: clock and inventory in one SQLite file (WAL), safe across processes.

Every reservation is one `UPDATE ... SET stock_level = stock_level - 1 WHERE stock_level > 0`: SQLite takes the
write lock for the statement, so the check and the decrement are one atomic step even with many processes; a
CHECK constraint refuses a negative stock as a second line of defence. A tick runs in one transaction
(`tick_transaction`), so its pending claim (olist_dw.sim.core) is never seen outside it: a failed tick rolls
back whole and the next one redoes the window with the same event ids.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from olist_dw.sim.core import InventoryItem, PendingTick, Product, SimConfig

SCHEMA = """
create table if not exists sim_config (
    config_id integer primary key check (config_id = 1),
    simulated_time text not null,
    speed_factor real not null,
    seed integer not null,
    catalogue_version text not null,
    pending_start text,
    pending_end text,
    pending_orders text, -- JSON [orders_min, orders_max] of the claim
    pending_claimed_at text,
    pending_accepted text -- JSON list of order indices
);
create table if not exists sim_inventory (
    product_id text primary key,
    category text,
    price text not null,
    stock_level integer not null check (stock_level >= 0),
    popularity_rank integer not null
);
"""
# Columns a state file written before pending claims lacks: added on open.
PENDING_COLUMNS = {
    "pending_start": "text",
    "pending_end": "text",
    "pending_orders": "text",
    "pending_claimed_at": "text",
    "pending_accepted": "text",
}
PENDING_NULLS = ", ".join(f"{name} = null" for name in PENDING_COLUMNS)


def _time(value: datetime) -> str:
    return value.isoformat(sep=" ")


class SQLiteStateStore:
    def __init__(self, path: Path, busy_timeout_s: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE), single statements commit on their own.
        self._con = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None)
        self._con.execute("pragma journal_mode = wal")
        # NORMAL in WAL mode: a commit survives a killed process (not a power cut); much faster than FULL.
        self._con.execute("pragma synchronous = normal")
        self._con.executescript(SCHEMA)
        present = {row[1] for row in self._con.execute("pragma table_info(sim_config)")}
        for name, kind in PENDING_COLUMNS.items():
            if name not in present:
                self._con.execute(f"alter table sim_config add column {name} {kind}")
        self._in_transaction = False

    @property
    def store_key(self) -> str:
        return f"sqlite:{self.path}"

    def close(self) -> None:
        self._con.close()

    @contextmanager
    def tick_transaction(self) -> Iterator[None]:
        if self._in_transaction:
            yield
            return
        self._con.execute("begin immediate")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._con.execute("rollback")
            raise
        else:
            self._con.execute("commit")
        finally:
            self._in_transaction = False

    def load_config(self) -> SimConfig | None:
        row = self._con.execute(
            "select simulated_time, speed_factor, seed, catalogue_version, pending_start, pending_end,"
            " pending_orders, pending_claimed_at, pending_accepted from sim_config where config_id = 1"
        ).fetchone()
        if row is None:
            return None
        pending = None
        if row[4] is not None:
            accepted = None if row[8] is None else tuple(json.loads(row[8]))
            pending = PendingTick(
                datetime.fromisoformat(row[4]),
                datetime.fromisoformat(row[5]),
                tuple(json.loads(row[6])),
                datetime.fromisoformat(row[7]),
                accepted,
            )
        return SimConfig(datetime.fromisoformat(row[0]), row[1], row[2], row[3], pending)

    def claim_window(
        self,
        expected: datetime,
        new_time: datetime,
        orders_range: tuple[int, int] = (0, 0),
        claimed_at: datetime | None = None,
        abandoned: PendingTick | None = None,
    ) -> bool:
        claim = _time(claimed_at or datetime.now(UTC).replace(tzinfo=None))
        args: tuple[str, ...]
        holder, args = "pending_start is null", ()
        if abandoned is not None:
            holder, args = "pending_claimed_at = ?", (_time(abandoned.claimed_at),)
        cursor = self._con.execute(
            "update sim_config set pending_start = simulated_time, pending_end = ?, pending_orders = ?,"
            f" pending_claimed_at = ?, pending_accepted = null where config_id = 1 and simulated_time = ? and {holder}",
            (_time(new_time), json.dumps(list(orders_range)), claim, _time(expected), *args),
        )
        return cursor.rowcount == 1

    def record_accepted(self, window_start: datetime, claimed_at: datetime, accepted: Sequence[int]) -> bool:
        cursor = self._con.execute(
            "update sim_config set pending_accepted = ?"
            " where config_id = 1 and pending_start = ? and pending_claimed_at = ?",
            (json.dumps(list(accepted)), _time(window_start), _time(claimed_at)),
        )
        return cursor.rowcount == 1

    def commit_window(self, window_start: datetime) -> bool:
        cursor = self._con.execute(
            f"update sim_config set simulated_time = pending_end, {PENDING_NULLS}"
            " where config_id = 1 and pending_start = ? and pending_accepted is not null",
            (_time(window_start),),
        )
        return cursor.rowcount == 1

    def set_speed_factor(self, speed_factor: float) -> None:
        self._con.execute("update sim_config set speed_factor = ? where config_id = 1", (speed_factor,))

    def catalogue(self) -> list[tuple[Product, int]]:
        rows = self._con.execute("select product_id, category, price, popularity_rank from sim_inventory")
        return [(Product(pid, category, Decimal(price)), rank) for pid, category, price, rank in rows]

    def reserve(self, product_id: str) -> bool:
        cursor = self._con.execute(
            "update sim_inventory set stock_level = stock_level - 1 where product_id = ? and stock_level > 0",
            (product_id,),
        )
        return cursor.rowcount == 1

    def release(self, product_id: str) -> None:
        self._con.execute("update sim_inventory set stock_level = stock_level + 1 where product_id = ?", (product_id,))

    def stock_levels(self) -> dict[str, int]:
        return dict(self._con.execute("select product_id, stock_level from sim_inventory"))

    def reset(self, config: SimConfig, inventory: Sequence[InventoryItem]) -> None:
        with self.tick_transaction():
            self._con.execute("delete from sim_inventory")
            self._con.executemany(
                "insert into sim_inventory values (?, ?, ?, ?, ?)",
                [(i.product_id, i.category, str(i.price), i.stock_level, i.popularity_rank) for i in inventory],
            )
            self._con.execute("delete from sim_config")
            self._con.execute(
                "insert into sim_config (config_id, simulated_time, speed_factor, seed, catalogue_version)"
                " values (1, ?, ?, ?, ?)",
                (
                    _time(config.simulated_time),
                    config.speed_factor,
                    config.seed,
                    config.catalogue_version,
                ),
            )
