"""The batch under the live scheduler: wall time of `olist_batch` and where it goes (issue 12).

Does what `make airflow` does in a temporary OLIST_HOME: builds the dbt manifest for it, then starts the four
Airflow components (scheduler, dag-processor, triggerer, api-server) on PostgreSQL; triggers `olist_batch`
through the REST API as the UI does, and splits each run from the task instances' own start and end times:

- before dbt: land .. load (the tasks upstream of the Cosmos group);
- producer: the one `dbt build` (`transform.dbt_producer_watcher`);
- reporting: from the producer's end to the last Cosmos sensor's end (per-model tasks that only report);
- publish: the publish task; wall: the run's start to end.

    .venv/bin/python bench/live_batch.py --scale 0.05 --runs 2            # the simulator paused
    .venv/bin/python bench/live_batch.py --scale 0.05 --runs 2 --realtime # with the realtime DAGs live

Run it on an idle machine: the figures are CPU-bound on 2 cores. Prints one line per run and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from io_stalls import IoStalls  # noqa: E402

from olist_dw.generator import generate  # noqa: E402
from tests.live.harness import LiveAirflow, live_home  # noqa: E402

PRODUCER = "transform.dbt_producer_watcher"
BEFORE_DBT = ("land", "validate", "convert", "load")
REALTIME_DAGS = ("olist_sim_generator", "olist_sim_delivery", "olist_realtime", "olist_freshness")


def _at(stamp: str | None) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() if stamp else float("nan")


def split(run: dict, tasks: list[dict]) -> dict[str, float]:
    """Seconds of each part of one finished run, from the task instances' start/end dates."""
    by_id = {t["task_id"]: t for t in tasks}
    producer = by_id[PRODUCER]
    sensors = [t for t in tasks if t["task_id"].startswith("transform.") and t["task_id"] != PRODUCER]
    sensor_end = max((_at(t["end_date"]) for t in sensors if t["end_date"]), default=_at(producer["end_date"]))
    before = [by_id[t] for t in by_id if t.split(".")[-1] in BEFORE_DBT or t in BEFORE_DBT]
    publish = next(t for t in tasks if t["task_id"].split(".")[-1] == "publish")
    start, end = _at(run["start_date"]), _at(run["end_date"])
    return {
        "wall": end - start,
        "before dbt": max(_at(t["end_date"]) for t in before) - start if before else float("nan"),
        "producer": _at(producer["end_date"]) - _at(producer["start_date"]),
        "reporting": sensor_end - _at(producer["end_date"]),
        "publish": _at(publish["end_date"]) - _at(publish["start_date"]),
        "sensors": float(len(sensors)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05, help="OLIST_SCALE of the generated source")
    parser.add_argument("--runs", type=int, default=2, help="batch runs, one after another")
    parser.add_argument("--realtime", action="store_true", help="keep the simulator and realtime DAGs live")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    with live_home("olist-bench-batch-") as home:
        generate(home / "source", scale=args.scale, seed=42, quiet=True)
        airflow = LiveAirflow(home)
        results: list[dict[str, float]] = []
        try:
            airflow.build_manifest()  # as `make airflow` does first
            airflow.start()
            for dag_id in ("olist_batch", *REALTIME_DAGS):
                airflow.wait_for_dag(dag_id)
            if not args.realtime:
                for dag_id in REALTIME_DAGS:
                    airflow.set_paused(dag_id, True)
            for number in range(1, args.runs + 1):
                triggered = time.monotonic()
                stalls = IoStalls().start()
                run = airflow.trigger("olist_batch")
                finished = airflow.wait_for_run("olist_batch", run["dag_run_id"], timeout=1800)
                stalls.stop()
                figures = split(finished, airflow.task_instances("olist_batch", run["dag_run_id"]))
                figures["trigger to end"] = time.monotonic() - triggered
                results.append(figures)
                line = ", ".join(f"{k} {v:.1f} s" for k, v in figures.items() if k != "sensors")
                print(f"run {number} ({finished['state']}, {figures['sensors']:.0f} sensors): {line}", flush=True)
                print(f"  {stalls.report()}", flush=True)
        finally:
            left = airflow.stop()
            if left:
                print(f"left running: {left}", file=sys.stderr)
    if results:
        keys = [k for k in results[0] if k != "sensors"]
        print("median: " + ", ".join(f"{k} {statistics.median(r[k] for r in results):.1f} s" for k in keys))
    print(
        f"scale {args.scale}, realtime {'live' if args.realtime else 'paused'}, load average after: "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
