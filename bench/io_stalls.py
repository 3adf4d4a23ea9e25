"""Machine-wide I/O stalls during a benchmark, from Linux's pressure stall information (/proc/pressure/io).

A live benchmark's outliers can come from the machine rather than the pipeline: on a virtual disk a writeback
can block every process's fsync for seconds at once (seen in bench/realtime.py: a dbt parse and a delivery
write stalled together for ~10 s). The `full` line of /proc/pressure/io counts the microseconds in which every
runnable task waited on I/O; sampled twice a second, its growth shows when the disk held everything up, so a
printed figure can be told apart from the project's own latency.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

PRESSURE_FILE = Path("/proc/pressure/io")
SAMPLE_SECONDS = 0.5
# A sample counts as stalled when the machine spent at least this share of it fully waiting on I/O.
STALLED_SHARE = 0.5


def full_stall_microseconds(path: Path = PRESSURE_FILE) -> int | None:
    """The `full ... total=` counter of `path`, or None where the kernel has no pressure information."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith("full "):
                return int(line.rsplit("total=", 1)[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass
class IoStalls:
    """Samples the stall counter in a background thread between `start()` and `stop()`."""

    path: Path = PRESSURE_FILE
    samples: list[tuple[float, int]] = field(default_factory=list)  # (epoch seconds, cumulative µs)

    def __post_init__(self) -> None:
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> IoStalls:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _sample(self) -> None:
        while True:
            value = full_stall_microseconds(self.path)
            if value is None:
                return
            self.samples.append((time.time(), value))
            if self._done.wait(SAMPLE_SECONDS):
                return

    def total_seconds(self) -> float | None:
        if len(self.samples) < 2:
            return None
        return (self.samples[-1][1] - self.samples[0][1]) / 1e6

    def episodes(self) -> list[tuple[float, float, float]]:
        """(start, end, stalled seconds) of each run of consecutive stalled samples."""
        found: list[tuple[float, float, float]] = []
        current: list[float] | None = None
        for (t0, v0), (t1, v1) in zip(self.samples, self.samples[1:], strict=False):
            stalled = (v1 - v0) / 1e6
            if t1 > t0 and stalled >= STALLED_SHARE * (t1 - t0):
                current = [current[0], t1, current[2] + stalled] if current else [t0, t1, stalled]
            elif current:
                found.append((current[0], current[1], current[2]))
                current = None
        if current:
            found.append((current[0], current[1], current[2]))
        return found

    def report(self) -> str:
        total = self.total_seconds()
        if total is None:
            return "machine I/O stalls: n/a (no /proc/pressure/io)"
        episodes = self.episodes()
        text = f"machine I/O stalls (every task waiting on the disk): {total:.1f} s in all"
        if episodes:
            text += ", " + "; ".join(
                f"{datetime.fromtimestamp(start):%H:%M:%S} for {end - start:.1f} s ({stalled:.1f} s stalled)"
                for start, end, stalled in episodes
            )
        return text
