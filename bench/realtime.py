"""Benchmark of the near-real-time path (local, embedded adapters). Prints figures; not a test.

1. Throughput: a simulator process ticking back to back and a delivery process draining the stream into
   Parquet, concurrently, for --seconds; sustained orders/s = orders delivered / time until delivery caught
   up. Then the oversell check: stock consumed == items sold, no stock below zero.
2. Freshness: event -> realtime.gold_sim as readers see it (the serving snapshot), through a running Airflow
   (`make airflow`'s components: scheduler, dag-processor, triggerer, api-server) in its own OLIST_HOME: this script
   ticks the simulator every --tick-every seconds (the minute-cron generator DAG is paused), the continuous
   delivery DAG emits the bronze-sim asset, olist_realtime runs dbt and publishes. A tick is fresh when the
   published gold_sim counts all its orders. Then where the time goes, from Airflow's
   records (asset events, runs, task instances). Stops everything it started.

    .venv/bin/python bench/realtime.py [--seconds 30] [--freshness-minutes 3] [--buffer-seconds 2]
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "olist-real"


def products_source(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    if (REAL_DATA / "olist_products_dataset.csv.gz").exists():
        return REAL_DATA
    sys.path.insert(0, str(ROOT / "tests" / "realtime"))
    from conftest import write_products  # a synthetic products file, as in the tests

    folder = Path(tempfile.mkdtemp(prefix="olist-bench-products-"))
    write_products(folder, 30_000)
    return folder


def _generate(home: str, seconds: float, queue) -> None:
    os.environ["OLIST_HOME"] = home
    from olist_dw.settings import get_settings
    from olist_dw.sim import tick
    from olist_dw.targets import get_target

    settings = get_settings()
    store, stream = get_target(settings).state_store(), get_target(settings).stream()
    accepted = items = ticks = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = tick(store, stream, settings)
        accepted += result.accepted
        items += result.items_sold
        ticks += 1
    queue.put((accepted, items, ticks))


def throughput(home: Path, seconds: float) -> None:
    from olist_dw.settings import get_settings
    from olist_dw.sim import log_path, reset
    from olist_dw.sim.local_log import LocalLog
    from olist_dw.targets import get_target

    os.environ["OLIST_HOME"] = str(home)
    settings = get_settings()
    store = get_target(settings).state_store()
    inventory = reset(store, settings)
    stock_before = sum(i.stock_level for i in inventory)
    log = LocalLog(log_path(settings))

    delivery = subprocess.Popen(
        [sys.executable, "-m", "olist_dw.cli", "deliver"], env=dict(os.environ), stdout=subprocess.DEVNULL
    )
    queue = multiprocessing.get_context("fork").Queue()
    started = time.monotonic()
    generator = multiprocessing.get_context("fork").Process(target=_generate, args=(str(home), seconds, queue))
    generator.start()
    accepted, items, ticks = queue.get()
    generator.join()
    produced_in = time.monotonic() - started
    delivered_by_then = log.checkpoint("delivery")
    while log.checkpoint("delivery") < log.last_seq():  # delivery catches up (buffer time at most)
        time.sleep(0.05)
    caught_up = time.monotonic() - started
    delivery.send_signal(signal.SIGTERM)
    delivery.wait()

    levels = store.stock_levels()
    consumed = stock_before - sum(levels.values())
    files = list((settings.lake_dir / "bronze-sim").rglob("*.parquet"))
    print("== throughput: simulator + embedded stream + delivery (2 processes) ==")
    print(f"  orders/tick              {settings.sim_orders_min}-{settings.sim_orders_max} (settings), {ticks:,} ticks")
    print(f"  simulator                {accepted:,} orders ({items:,} items) in {produced_in:.1f} s")
    print(f"  -> {accepted / produced_in:,.0f} orders/s generated")
    print(
        f"  delivered                {log.checkpoint('delivery'):,} orders in {len(files)} Parquet files, "
        f"caught up {caught_up - produced_in:.1f} s after the simulator stopped "
        f"(buffer {settings.delivery_buffer_bytes:,} B / {settings.delivery_buffer_seconds:g} s)"
    )
    print(
        f"  -> {delivered_by_then / produced_in:,.0f} orders/s sustained end to end (simulator -> Parquet files, "
        f"delivered while the simulator ran; the rest is the last buffer's wait)"
    )
    oversold = consumed - items
    print(
        f"  oversell check           stock consumed {consumed:,} == items sold {items:,}: "
        f"{'OK' if oversold == 0 else 'FAILED'}; lowest stock {min(levels.values())}"
    )
    if oversold or min(levels.values()) < 0:
        raise SystemExit("oversell detected")


def _gold_orders(serving: Path) -> int:
    import duckdb

    from olist_dw.warehouse import connect_read_only, snapshot_files

    if not snapshot_files(serving):
        return 0
    try:
        with connect_read_only(serving) as con:  # realtime is its own set file beside the batch's
            return con.execute("select coalesce(sum(total_orders), 0) from realtime.gold_sim").fetchone()[0]
    except duckdb.Error:
        return 0


def _at(stamp: str | None) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() if stamp else float("nan")


def _quantiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    p95 = statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]
    return f"p50 {statistics.median(values):5.1f} s  p95 {p95:5.1f} s  max {max(values):5.1f} s"


def where_the_time_goes(airflow, ticks: list[float], since: float) -> dict[str, list[float]]:
    """From Airflow's own records: for each tick, the delivery's asset event after it (buffer + delivery);
    for each olist_realtime run, asset event -> run start, run start -> dbt task start, the dbt task, dbt's end
    -> publish's end, publish's end -> the run's end (what the next run waits for, max_active_runs=1)."""
    events = airflow.api("GET", "/assets/events", params={"source_dag_id": "olist_sim_delivery", "limit": 1000})
    event_times = sorted(_at(e["timestamp"]) for e in events["asset_events"])
    parts: dict[str, list[float]] = collections.defaultdict(list)
    for produced in ticks:
        after = [t for t in event_times if t >= produced]
        if after:
            parts["tick -> asset event (buffer, delivery)"].append(after[0] - produced)
    for run in airflow.dag_runs("olist_realtime"):
        start, end = _at(run["start_date"]), _at(run["end_date"])
        if not start >= since or run["state"] != "success":
            continue
        upstream = airflow.api("GET", f"/dags/olist_realtime/dagRuns/{run['dag_run_id']}/upstreamAssetEvents")
        first_event = min((_at(e["timestamp"]) for e in upstream["asset_events"]), default=float("nan"))
        tasks = {t["task_id"]: t for t in airflow.task_instances("olist_realtime", run["dag_run_id"])}
        dbt, publish = tasks["dbt_build_realtime"], tasks["publish_realtime"]
        parts["asset event -> run start (oldest event)"].append(start - first_event)
        parts["run start -> dbt task start"].append(_at(dbt["start_date"]) - start)
        parts["dbt task (start -> end)"].append(_at(dbt["end_date"]) - _at(dbt["start_date"]))
        parts["dbt end -> publish end"].append(_at(publish["end_date"]) - _at(dbt["end_date"]))
        parts["publish end -> run end"].append(end - _at(publish["end_date"]))
        parts["run (start -> end)"].append(end - start)
    return parts


def freshness(home: Path, minutes: float, tick_every: float) -> None:
    """Through the four components of `make airflow` (tests/live/harness.py), on the project's PostgreSQL."""
    sys.path.insert(0, str(ROOT))
    from olist_dw.settings import get_settings
    from olist_dw.sim import reset, tick
    from olist_dw.targets import get_target
    from tests.live.harness import LiveAirflow

    home.mkdir(parents=True, exist_ok=True)
    os.environ["OLIST_HOME"] = str(home)
    airflow = LiveAirflow(home, env={k: v for k, v in os.environ.items() if k.startswith("OLIST_")})
    settings = get_settings()
    store, stream = get_target(settings).state_store(), get_target(settings).stream()
    reset(store, settings)
    from io_stalls import IoStalls

    samples: list[float] = []
    ticks: list[float] = []
    stalls = IoStalls()
    try:
        airflow.build_manifest()  # as `make airflow` does first
        airflow.start()
        for dag_id in ("olist_sim_generator", "olist_sim_delivery", "olist_realtime"):
            airflow.wait_for_dag(dag_id)
        airflow.set_paused("olist_sim_generator", True)  # this script ticks, at a known pace
        # Warm-up: the first file and the first olist_realtime run (DAG parsing, cold imports).
        expected = tick(store, stream, settings).accepted
        warm_started = time.monotonic()
        while _gold_orders(settings.serving_path) < expected:
            if time.monotonic() - warm_started > 600:
                raise SystemExit(f"Airflow did not publish gold_sim: see {airflow.log_dir}")
            time.sleep(0.5)
        print(f"  warm-up: first event published after {time.monotonic() - warm_started:.0f} s (cold start)")

        measured_since = time.time()
        stalls.start()
        pending: list[tuple[float, int]] = []  # (produced at, cumulative orders including this tick)
        deadline = time.monotonic() + minutes * 60
        next_tick = time.monotonic()
        while time.monotonic() < deadline or pending:
            now = time.monotonic()
            if now >= next_tick and now < deadline:
                expected += tick(store, stream, settings).accepted
                ticks.append(time.time())
                pending.append((ticks[-1], expected))
                next_tick = now + tick_every
            visible = _gold_orders(settings.serving_path)
            seen_at = time.time()
            while pending and visible >= pending[0][1]:
                samples.append(seen_at - pending.pop(0)[0])
            if time.monotonic() > deadline + 300:
                raise SystemExit("ticks still not visible 5 minutes after the last one")
            time.sleep(0.25)
        stalls.stop()
        parts = where_the_time_goes(airflow, ticks, measured_since)
    finally:
        left = airflow.stop()
        if left:
            print(f"  warning: processes still running after the stop: {left}")
    print(f"  ticks measured           {len(samples)} (one every {tick_every:g} s for {minutes:g} min)")
    print(
        f"  freshness event -> published gold_sim: {_quantiles(samples)} "
        f"(delivery buffer {settings.delivery_buffer_seconds:g} s)"
    )
    print("  where the time goes (Airflow's records; per tick, then per olist_realtime run):")
    for name, values in parts.items():
        print(f"    {name:42s} {_quantiles(values)}  (n={len(values)})")
    print(f"  {stalls.report()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="throughput run length (0 skips it)")
    parser.add_argument("--freshness-minutes", type=float, default=3, help="0 skips the freshness run")
    parser.add_argument("--tick-every", type=float, default=5, help="seconds between ticks in the freshness run")
    parser.add_argument("--buffer-seconds", type=float, default=None, help="OLIST_DELIVERY_BUFFER_SECONDS")
    parser.add_argument("--source-dir", default=None, help="folder with olist_products_dataset.csv[.gz]")
    parser.add_argument("--home", default=None, help="keep the benchmark's OLIST_HOME folders here (default: temp)")
    args = parser.parse_args()

    os.environ.update({"DO_NOT_TRACK": "1", "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False"})
    os.environ["OLIST_SOURCE_DIR"] = str(products_source(args.source_dir))
    os.environ["OLIST_TARGET"] = "local"
    if args.buffer_seconds is not None:
        os.environ["OLIST_DELIVERY_BUFFER_SECONDS"] = str(args.buffer_seconds)
    print(f"cores: {os.cpu_count()} (shared with other work: figures are pessimistic)")
    print(f"products from {os.environ['OLIST_SOURCE_DIR']}")
    with tempfile.TemporaryDirectory(prefix="olist-bench-rt-") as tmp:
        os.chmod(tmp, 0o755)  # run as root, the metadata DB's server (the postgres user) must reach it
        homes = Path(args.home or tmp)
        if args.seconds > 0:
            throughput(homes / "throughput", args.seconds)
        if args.freshness_minutes > 0:
            print("== freshness: event -> gold_sim through a running Airflow (make airflow's components) ==")
            freshness(homes / "freshness", args.freshness_minutes, args.tick_every)


if __name__ == "__main__":
    main()
