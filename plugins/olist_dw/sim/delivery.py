"""Local delivery (the embedded Firehose): drain the log into snappy Parquet files under bronze-sim/.

- Buffers by size and by time (OLIST_DELIVERY_BUFFER_BYTES / OLIST_DELIVERY_BUFFER_SECONDS): a file is written
  when the buffer holds that many bytes of records or when its oldest record has waited that long.
- Atomic files: written to a hidden temporary name, fsynced, renamed, directory fsynced.
- At-least-once: the consumer checkpoint moves only after the file is durable. File names come from the
  sequence range (`orders-<first>-<last>.parquet`) and the partition from the first record's arrival time,
  so a redelivered range lands on the same path; and on start-up a file that exists for the range after the
  checkpoint (written, then killed before the checkpoint commit) is adopted instead of written again.
- One delivery process at a time (an exclusive file lock, released by the OS even on SIGKILL).
The warehouse still deduplicates by event id: Firehose on AWS delivers at-least-once without such care.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from olist_dw.errors import UserFacingError
from olist_dw.sim.local_log import LocalLog, LogRecord

CONSUMER = "delivery"
BRONZE_SIM = "bronze-sim"
FILE_PATTERN = re.compile(r"orders-(\d{20})-(\d{20})\.parquet$")

ITEM_TYPE = pa.struct(
    [
        ("order_item_id", pa.int32()),
        ("product_id", pa.string()),
        ("product_category", pa.string()),
        ("price", pa.decimal128(12, 2)),
    ]
)
# Column order and types of the event JSON Schema (order_event.schema.json): the Glue table on AWS agrees.
PARQUET_SCHEMA = pa.schema(
    [
        ("schema_version", pa.int32()),
        ("event_id", pa.string()),
        ("event_type", pa.string()),
        ("order_id", pa.string()),
        ("customer_id", pa.string()),
        ("customer_unique_id", pa.string()),
        ("customer_name", pa.string()),
        ("customer_city", pa.string()),
        ("customer_state", pa.string()),
        ("customer_zip_code_prefix", pa.string()),
        ("purchased_at", pa.timestamp("us")),
        ("produced_at", pa.timestamp("us")),
        ("order_total", pa.decimal128(12, 2)),
        ("items", pa.list_(ITEM_TYPE)),
    ]
)
CENT = Decimal("0.01")


class DeliveryBusyError(UserFacingError):
    """Another delivery process holds the lock."""


@dataclass(frozen=True)
class DeliveredFile:
    path: Path
    first_seq: int
    last_seq: int
    records: int


def events_to_table(records: list[LogRecord]) -> pa.Table:
    rows = []
    for record in records:
        event = json.loads(record.data, parse_float=Decimal)
        event["purchased_at"] = datetime.fromisoformat(event["purchased_at"])
        event["produced_at"] = datetime.fromisoformat(event["produced_at"])
        event["order_total"] = Decimal(event["order_total"]).quantize(CENT)
        for item in event["items"]:
            item["price"] = Decimal(item["price"]).quantize(CENT)
        rows.append(event)
    return pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalDelivery:
    def __init__(
        self,
        log: LocalLog,
        lake_dir: Path,
        buffer_bytes: int,
        buffer_seconds: float,
        lock_path: Path,
        consumer: str = CONSUMER,
        poll_seconds: float = 0.2,
    ):
        self.log = log
        self.root = Path(lake_dir) / BRONZE_SIM
        self.buffer_bytes = buffer_bytes
        self.buffer_seconds = buffer_seconds
        self.consumer = consumer
        self.poll_seconds = poll_seconds
        self.lock_path = Path(lock_path)
        self._lock_fh: IO[str] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> LocalDelivery:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock_fh = self._lock_fh = open(self.lock_path, "a")  # noqa: SIM115 (held for the life of the context)
        deadline = time.monotonic() + 120
        while True:
            try:
                fcntl.flock(lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as err:
                if time.monotonic() > deadline:
                    raise DeliveryBusyError(f"another delivery process holds {self.lock_path}") from err
                time.sleep(0.2)
        self.recover()
        return self

    def __exit__(self, *exc) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()  # releases the lock
            self._lock_fh = None

    def recover(self) -> None:
        """Adopt a file written before a crash whose checkpoint commit was lost; drop half-written temp files."""
        for leftover in self.root.glob("dt=*/hour=*/.orders-*.tmp"):
            leftover.unlink(missing_ok=True)
        while True:
            after = self.log.checkpoint(self.consumer)
            found = sorted(self.root.glob(f"dt=*/hour=*/orders-{after + 1:020d}-*.parquet"))
            if not found:
                return
            named = FILE_PATTERN.search(found[-1].name)
            if named is None:  # the glob above matches FILE_PATTERN's names only
                raise RuntimeError(f"unexpected delivery file name {found[-1]}")
            last = int(named.group(2))
            self.log.commit_checkpoint(self.consumer, last)

    # -- delivery ----------------------------------------------------------------------------------
    def path_for(self, records: list[LogRecord]) -> Path:
        arrived = datetime.fromtimestamp(records[0].appended_at, UTC)
        partition = self.root / f"dt={arrived:%Y-%m-%d}" / f"hour={arrived:%H}"
        return partition / f"orders-{records[0].seq:020d}-{records[-1].seq:020d}.parquet"

    def write(self, records: list[LogRecord]) -> DeliveredFile:
        final = self.path_for(records)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.tmp")
        pq.write_table(events_to_table(records), tmp, compression="snappy")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        # Only now is the range safe in the lake: move the checkpoint (at-least-once).
        self.log.commit_checkpoint(self.consumer, records[-1].seq)
        return DeliveredFile(final, records[0].seq, records[-1].seq, len(records))

    def deliver_once(self, wait: bool = True, idle_timeout: float | None = None) -> DeliveredFile | None:
        """Fill one buffer and write it as one file.

        wait=True: wait until the buffer is full by size or by age (or `idle_timeout` passes with nothing read:
        None is returned). wait=False: write whatever is in the log now (None if nothing).
        """
        position = self.log.checkpoint(self.consumer)
        buffer: list[LogRecord] = []
        size = 0
        started = time.monotonic()
        while True:
            batch = self.log.read(position, limit=2000)
            for record in batch:
                buffer.append(record)
                size += len(record.data)
                position = record.seq
                if size >= self.buffer_bytes:
                    return self.write(buffer)
            if buffer:
                age = time.time() - buffer[0].appended_at
                if not wait or age >= self.buffer_seconds:
                    return self.write(buffer)
                if not batch:
                    time.sleep(min(self.poll_seconds, self.buffer_seconds - age))
                continue
            if not wait or (idle_timeout is not None and time.monotonic() - started >= idle_timeout):
                return None
            time.sleep(self.poll_seconds)

    def drain(self) -> list[DeliveredFile]:
        """Write everything the log holds now (buffer size still splits files); for demos and tests."""
        delivered = []
        while (item := self.deliver_once(wait=False)) is not None:
            delivered.append(item)
        return delivered

    def run(self, max_files: int | None = None, max_seconds: float | None = None) -> list[DeliveredFile]:
        """Keep delivering until `max_files` files or `max_seconds` have passed (forever when both are None)."""
        delivered: list[DeliveredFile] = []
        started = time.monotonic()
        while True:
            remaining = None if max_seconds is None else max(0.0, max_seconds - (time.monotonic() - started))
            if remaining == 0.0:
                return delivered
            item = self.deliver_once(wait=True, idle_timeout=remaining)
            if item is not None:
                delivered.append(item)
                if max_files is not None and len(delivered) >= max_files:
                    return delivered
