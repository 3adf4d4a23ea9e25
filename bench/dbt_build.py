"""Benchmark: `dbt build --select tag:batch` on DuckDB over a generated dataset (data tests and unit tests included).

    .venv/bin/python bench/dbt_build.py --scale 1            # ~100k orders, 1M geolocation rows
    .venv/bin/python bench/dbt_build.py --scale 1 --real ../shared/data/olist-real

Prints the time to generate and load the raw schema (not part of the target), the wall time of the dbt
command (process start, parse and run), dbt's own run time, peak memory of the dbt process and the
slowest nodes. Work files go to --work (default /tmp/olist-bench-dbt).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dbt"))  # the typed CSV -> raw loader shared with the dbt tests

from raw_fixture import load_raw  # noqa: E402

from olist_dw.generator.core import generate  # noqa: E402
from olist_dw.settings import DBT_PROJECT_DIR  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--real", default=None, help="folder of real Olist files to mix in (optional)")
    parser.add_argument("--work", default="/tmp/olist-bench-dbt")
    args = parser.parse_args()

    work = Path(args.work)
    source, warehouse = work / "source", work / "warehouse.duckdb"
    for leftover in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        leftover.unlink(missing_ok=True)

    started = time.perf_counter()
    summaries = generate(source, scale=args.scale, seed=args.seed, real_dir=args.real)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    counts = load_raw(warehouse, source)
    loaded = time.perf_counter() - started
    print(f"scale {args.scale}: {counts['orders']:,} orders, {counts['geolocation']:,} geolocation rows, "
          f"{sum(s.origin == 'real' for s in summaries)} real file(s)")  # fmt: skip
    print(f"generate {generated:.1f} s, load raw {loaded:.1f} s (not part of the dbt figure)")

    command = [
        str(ROOT / ".venv" / "bin" / "dbt"), "build", "--select", "tag:batch",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]  # fmt: skip
    env = {**os.environ, "OLIST_TARGET": "local", "OLIST_WAREHOUSE_PATH": str(warehouse), "DO_NOT_TRACK": "1"}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-2000:], sep="\n")
        print("dbt build FAILED")
        return 1

    run_results = json.loads((work / "target" / "run_results.json").read_text())
    results = run_results["results"]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    print(f"dbt build: wall {wall:.1f} s (dbt run time {run_results['elapsed_time']:.1f} s), "
          f"peak RSS {peak_mb:.0f} MB, {len(results)} nodes {statuses}, {os.cpu_count()} CPU(s)")  # fmt: skip
    print("slowest nodes:")
    for r in sorted(results, key=lambda r: -r["execution_time"])[:5]:
        print(f"  {r['execution_time']:5.2f} s  {r['unique_id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
