"""Local delivery (the embedded Firehose): drain the log into snappy Parquet files under bronze-sim/.

- Buffers by size and by time (OLIST_DELIVERY_BUFFER_BYTES / OLIST_DELIVERY_BUFFER_SECONDS): a file is written
  when the buffer holds that many bytes of records or when its oldest record has waited that long.
- Atomic files: written to a hidden temporary name, fsynced, renamed, directory fsynced.
- At-least-once: the consumer checkpoint moves only after the file is durable. File names come from the
  sequence range (`orders-<first>-<last>.parquet`) and the partition from the first record's arrival time,
  so a redelivered range lands on the same path; and on start-up a file that exists for the range after the
  checkpoint (written, then killed before the checkpoint commit) is adopted instead of written again.
- One delivery process at a time (an exclusive file lock, released by the OS even on SIGKILL).
- Bad records are dead-lettered, never retried (olist_dw.sim.dead_letter): a record that is not valid JSON of
  the event schema goes, with its reason and sequence number, to
  `bronze-sim-errors/dt=.../hour=.../errors-<first>-<last>.jsonl` (the orders file's range and partition); the
  good records of the range are delivered and the checkpoint moves past both. The errors file is written
  before the orders file, which is the range's commit mark: a range of bad records only still gets an
  (empty) orders file, and an errors file without its orders file is a leftover of a range that was never
  committed (removed on start-up; the range is delivered again).
- Replay (`replay(from_seq)`, `olist-dw deliver --from-sequence N`): re-delivers sequences N..checkpoint from
  the log into the arrival partition of now (dt/hour of the replay) as `replay-<first>-<last>.parquet`
  (dead letters as `replay-<first>-<last>.jsonl`), so the realtime models' arrival lookback reads them and
  their event-id dedupe keeps each event once. It never moves the live checkpoint, neither back nor forward,
  and takes its own lock, not the live delivery's: the live delivery carries on meanwhile and stays the
  only one to deliver what lies past its checkpoint.
The warehouse still deduplicates by event id: Firehose on AWS delivers at-least-once without such care.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from olist_dw.errors import UserFacingError
from olist_dw.sim.dead_letter import BRONZE_SIM_ERRORS, DeadLetter, Rejected, check_event
from olist_dw.sim.local_log import LocalLog, LogRecord

logger = logging.getLogger(__name__)

CONSUMER = "delivery"
BRONZE_SIM = "bronze-sim"
FILE_PATTERN = re.compile(r"orders-(\d{20})-(\d{20})\.parquet$")
REPLAY_PREFIX = "replay"

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


class DeliveryBusyError(UserFacingError):
    """Another delivery process holds the lock."""

    retryable = True  # it clears when the other process ends


class ReplayRangeError(UserFacingError):
    """The replay's sequence range is not one the live delivery has delivered."""


@dataclass(frozen=True)
class DeliveredFile:
    path: Path  # the orders file (empty when every record of the range was dead-lettered)
    first_seq: int
    last_seq: int
    records: int  # orders written to `path`
    dead_lettered: int = 0
    errors_path: Path | None = None  # where the dead letters of the range went


@dataclass(frozen=True)
class SplitRecords:
    rows: list[dict[str, Any]]
    dead_letters: list[DeadLetter]


def split_records(records: list[LogRecord]) -> SplitRecords:
    """Valid events as Parquet rows, the others as dead letters with their reason."""
    rows, dead_letters = [], []
    for record in records:
        try:
            rows.append(check_event(record.data))
        except Rejected as rejected:
            dead_letters.append(
                DeadLetter(record.seq, record.appended_at, rejected.reason, rejected.detail, record.data)
            )
    return SplitRecords(rows, dead_letters)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_durably(tmp: Path, final: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    _fsync_dir(final.parent)


def _lock(lock_path: Path, busy_message: str, wait_seconds: float) -> IO[str]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock_fh = open(lock_path, "a")  # noqa: SIM115 (held until the caller closes it)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock_fh
        except BlockingIOError as err:
            if time.monotonic() > deadline:
                lock_fh.close()
                raise DeliveryBusyError(busy_message) from err
            time.sleep(0.2)


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
        self.errors_root = Path(lake_dir) / BRONZE_SIM_ERRORS
        self.buffer_bytes = buffer_bytes
        self.buffer_seconds = buffer_seconds
        self.consumer = consumer
        self.poll_seconds = poll_seconds
        self.lock_path = Path(lock_path)
        self.replay_lock_path = self.lock_path.with_name(f"{self.lock_path.stem}-replay{self.lock_path.suffix}")
        self._lock_fh: IO[str] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> LocalDelivery:
        self._lock_fh = _lock(self.lock_path, f"another delivery process holds {self.lock_path}", 120)
        self.recover()
        return self

    def __exit__(self, *exc) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()  # releases the lock
            self._lock_fh = None

    def recover(self) -> None:
        """Adopt a file written before a crash whose checkpoint commit was lost; drop half-written temp files
        and the errors file of a range whose orders file (its commit mark) was never written."""
        for leftover in [
            *self.root.glob("dt=*/hour=*/.orders-*.tmp"),
            *self.errors_root.glob("dt=*/hour=*/.errors-*.tmp"),
        ]:
            leftover.unlink(missing_ok=True)
        while True:
            after = self.log.checkpoint(self.consumer)
            found = sorted(self.root.glob(f"dt=*/hour=*/orders-{after + 1:020d}-*.parquet"))
            if not found:
                for uncommitted in self.errors_root.glob(f"dt=*/hour=*/errors-{after + 1:020d}-*.jsonl"):
                    uncommitted.unlink(missing_ok=True)
                return
            named = FILE_PATTERN.search(found[-1].name)
            if named is None:  # the glob above matches FILE_PATTERN's names only
                raise RuntimeError(f"unexpected delivery file name {found[-1]}")
            last = int(named.group(2))
            self.log.commit_checkpoint(self.consumer, last)

    # -- delivery ----------------------------------------------------------------------------------
    def _partition(self, root: Path, arrived_at: float) -> Path:
        arrived = datetime.fromtimestamp(arrived_at, UTC)
        return root / f"dt={arrived:%Y-%m-%d}" / f"hour={arrived:%H}"

    def path_for(self, records: list[LogRecord]) -> Path:
        partition = self._partition(self.root, records[0].appended_at)
        return partition / f"orders-{records[0].seq:020d}-{records[-1].seq:020d}.parquet"

    def errors_path_for(self, records: list[LogRecord]) -> Path:
        partition = self._partition(self.errors_root, records[0].appended_at)
        return partition / f"errors-{records[0].seq:020d}-{records[-1].seq:020d}.jsonl"

    def _write_files(self, records: list[LogRecord], orders: Path, errors: Path) -> DeliveredFile:
        """The range's dead letters (if any) to `errors`, then its valid events to `orders`, both durable."""
        split = split_records(records)
        errors_path = None
        if split.dead_letters:
            errors.parent.mkdir(parents=True, exist_ok=True)
            tmp = errors.with_name(f".{errors.name}.tmp")
            tmp.write_text("".join(letter.to_json_line() + "\n" for letter in split.dead_letters), encoding="utf-8")
            _replace_durably(tmp, errors)
            errors_path = errors
        orders.parent.mkdir(parents=True, exist_ok=True)
        tmp = orders.with_name(f".{orders.name}.tmp")
        pq.write_table(pa.Table.from_pylist(split.rows, schema=PARQUET_SCHEMA), tmp, compression="snappy")
        _replace_durably(tmp, orders)
        delivered = DeliveredFile(
            orders, records[0].seq, records[-1].seq, len(split.rows), len(split.dead_letters), errors_path
        )
        self._log_delivered(delivered, split.dead_letters)
        return delivered

    @staticmethod
    def _log_delivered(delivered: DeliveredFile, dead_letters: list[DeadLetter]) -> None:
        logger.info(
            "delivered sequences %d-%d: %d order(s) to %s",
            delivered.first_seq,
            delivered.last_seq,
            delivered.records,
            delivered.path,
        )
        if dead_letters:
            reasons = Counter(letter.reason for letter in dead_letters)
            logger.warning(
                "dead-lettered %d bad event(s) of sequences %d-%d to %s (%s; first: sequence %d, %s)",
                len(dead_letters),
                delivered.first_seq,
                delivered.last_seq,
                delivered.errors_path,
                ", ".join(f"{reason} {count}" for reason, count in sorted(reasons.items())),
                dead_letters[0].sequence_number,
                dead_letters[0].detail,
            )

    def write(self, records: list[LogRecord]) -> DeliveredFile:
        delivered = self._write_files(records, self.path_for(records), self.errors_path_for(records))
        # Only now is the range safe in the lake: move the checkpoint (at-least-once).
        self.log.commit_checkpoint(self.consumer, records[-1].seq)
        return delivered

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

    # -- replay ------------------------------------------------------------------------------------
    def replay(self, from_seq: int, to_seq: int | None = None) -> list[DeliveredFile]:
        """Re-deliver sequences `from_seq`..`to_seq` (default: the live checkpoint) into the arrival partition
        of now, as `replay-` files; the live checkpoint is read, never written. See the module docstring."""
        checkpoint = self.log.checkpoint(self.consumer)
        last = checkpoint if to_seq is None else to_seq
        if from_seq < 1:
            raise ReplayRangeError(f"--from-sequence must be 1 or more (got {from_seq})")
        if from_seq > checkpoint:
            raise ReplayRangeError(
                f"nothing to replay from sequence {from_seq}: the delivery has delivered sequences up to "
                f"{checkpoint} (its checkpoint in {self.log.path}); the live delivery delivers what comes after"
            )
        if not from_seq <= last <= checkpoint:
            raise ReplayRangeError(
                f"--to-sequence {last} must be between --from-sequence {from_seq} and the delivery checkpoint "
                f"{checkpoint} (in {self.log.path})"
            )
        lock_fh = _lock(self.replay_lock_path, f"another replay holds {self.replay_lock_path}", 0)
        try:
            for leftover in [
                *self.root.glob(f"dt=*/hour=*/.{REPLAY_PREFIX}-*.tmp"),
                *self.errors_root.glob(f"dt=*/hour=*/.{REPLAY_PREFIX}-*.tmp"),
            ]:
                leftover.unlink(missing_ok=True)
            delivered = []
            position = from_seq - 1
            buffer: list[LogRecord] = []
            size = 0
            while position < last:
                batch = [r for r in self.log.read(position, limit=2000) if r.seq <= last]
                if not batch:
                    break
                for record in batch:
                    buffer.append(record)
                    size += len(record.data)
                    position = record.seq
                    if size >= self.buffer_bytes or position == last:
                        delivered.append(self._write_replay(buffer))
                        buffer, size = [], 0
            if buffer:
                delivered.append(self._write_replay(buffer))
            return delivered
        finally:
            lock_fh.close()

    def _write_replay(self, records: list[LogRecord]) -> DeliveredFile:
        now = time.time()
        name = f"{REPLAY_PREFIX}-{records[0].seq:020d}-{records[-1].seq:020d}"
        return self._write_files(
            records,
            self._partition(self.root, now) / f"{name}.parquet",
            self._partition(self.errors_root, now) / f"{name}.jsonl",
        )
