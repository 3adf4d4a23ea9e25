"""The embedded state store: clock and inventory in one SQLite file (WAL), safe across processes.

Every reservation is one `UPDATE ... SET stock_level = stock_level - 1 WHERE stock_level > 0`: SQLite takes the
write lock for the statement, so the check and the decrement are one atomic step even with many processes; a
CHECK constraint refuses a negative stock as a second line of defence.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from olist_dw.sim.core import InventoryItem, Product, SimConfig

SCHEMA = """
create table if not exists sim_config (
    config_id integer primary key check (config_id = 1),
    simulated_time text not null,
    speed_factor real not null,
    seed integer not null,
    catalogue_version text not null
);
create table if not exists sim_inventory (
    product_id text primary key,
    category text,
    price text not null,
    stock_level integer not null check (stock_level >= 0),
    popularity_rank integer not null
);
"""


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
            "select simulated_time, speed_factor, seed, catalogue_version from sim_config where config_id = 1"
        ).fetchone()
        if row is None:
            return None
        return SimConfig(datetime.fromisoformat(row[0]), row[1], row[2], row[3])

    def claim_window(self, expected: datetime, new_time: datetime) -> bool:
        cursor = self._con.execute(
            "update sim_config set simulated_time = ? where config_id = 1 and simulated_time = ?",
            (new_time.isoformat(sep=" "), expected.isoformat(sep=" ")),
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
                "insert into sim_config values (1, ?, ?, ?, ?)",
                (
                    config.simulated_time.isoformat(sep=" "),
                    config.speed_factor,
                    config.seed,
                    config.catalogue_version,
                ),
            )
