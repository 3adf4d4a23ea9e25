"""The embedded durable stream: an append-only log in SQLite (WAL) with ordered sequence numbers and
per-consumer checkpoints, the local stand-in for Kinesis.

A record is durable once `put_records` returns (its transaction committed to the WAL: it survives SIGKILL of
any process). Consumers read records after their checkpoint and move the checkpoint only after they have
made what they read durable elsewhere: at-least-once delivery.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
create table if not exists records (
    seq integer primary key autoincrement,
    partition_key text not null,
    data blob not null,
    appended_at real not null  -- wall clock (epoch seconds), like Kinesis' ApproximateArrivalTimestamp
);
create table if not exists checkpoints (
    consumer text primary key,
    seq integer not null
);
"""


@dataclass(frozen=True)
class LogRecord:
    seq: int
    data: bytes
    appended_at: float


class LocalLog:
    def __init__(self, path: Path, busy_timeout_s: float = 60.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None)
        self._con.execute("pragma journal_mode = wal")
        self._con.execute("pragma synchronous = normal")  # survives a killed process; see sqlite_store
        self._con.executescript(SCHEMA)

    def close(self) -> None:
        self._con.close()

    def put_records(self, records: Sequence[tuple[str, bytes]]) -> None:
        now = time.time()
        self._con.execute("begin immediate")
        try:
            self._con.executemany(
                "insert into records (partition_key, data, appended_at) values (?, ?, ?)",
                [(key, data, now) for key, data in records],
            )
        except BaseException:
            self._con.execute("rollback")
            raise
        self._con.execute("commit")

    def read(self, after_seq: int, limit: int = 1000) -> list[LogRecord]:
        rows = self._con.execute(
            "select seq, data, appended_at from records where seq > ? order by seq limit ?", (after_seq, limit)
        ).fetchall()
        return [LogRecord(seq, data, appended_at) for seq, data, appended_at in rows]

    def last_seq(self) -> int:
        return self._con.execute("select coalesce(max(seq), 0) from records").fetchone()[0]

    def checkpoint(self, consumer: str) -> int:
        row = self._con.execute("select seq from checkpoints where consumer = ?", (consumer,)).fetchone()
        return row[0] if row else 0

    def commit_checkpoint(self, consumer: str, seq: int) -> None:
        """Move the consumer's checkpoint forward (never back: a stale commit is ignored)."""
        self._con.execute(
            "insert into checkpoints (consumer, seq) values (?, ?) "
            "on conflict (consumer) do update set seq = max(seq, excluded.seq)",
            (consumer, seq),
        )

    def count(self) -> int:
        return self._con.execute("select count(*) from records").fetchone()[0]
