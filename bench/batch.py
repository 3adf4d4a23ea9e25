"""Benchmark of the batch pipeline: per-stage wall time, rows/s and peak memory, the whole olist_batch
DAG run through Airflow, and each DAG file's parse time.

    .venv/bin/python bench/batch.py --scale 1          # generates the data first (not timed)
    .venv/bin/python bench/batch.py --source DIR       # the nine files of DIR (e.g. the Kaggle files)

Targets (2 cores): scale 1 end to end <= 90 s (stretch 60 s); DAG parse <= 0.5 s per file.
State goes to OLIST_HOME (default bench/results/batch-home), never to the user's .olist.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def measured(results: list, stage: str, rows: list[int]):
    """Wall time and peak resident memory (sampled every 10 ms) of the block."""
    peak = [rss_mb()]
    done = threading.Event()

    def sample():
        while not done.wait(0.01):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        results.append((stage, elapsed, rows[0] if rows else 0, max(peak[0], rss_mb())))


def parse_times() -> list[tuple[str, float, float]]:
    """(file, cold s, warm s): cold in a fresh interpreter with Airflow imported (as the DAG processor),
    warm = a second parse in the same process."""
    code = (
        "import sys, time\n"
        "import airflow.sdk\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "t = time.perf_counter(); DagBag(dag_folder=sys.argv[1]); cold = time.perf_counter() - t\n"
        "t = time.perf_counter(); DagBag(dag_folder=sys.argv[1]); warm = time.perf_counter() - t\n"
        "print(f'{cold:.3f} {warm:.3f}')\n"
    )
    figures = []
    for path in sorted((ROOT / "dags").glob("*.py")):
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True, env=os.environ
        )
        cold, warm = (float(x) for x in out.stdout.split()[-2:])
        figures.append((path.name, cold, warm))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--source", type=Path, default=None, help="use these files instead of generating")
    parser.add_argument("--skip-airflow", action="store_true", help="stages only, no DAG run through Airflow")
    args = parser.parse_args()

    os.environ.setdefault("OLIST_HOME", str(ROOT / "bench" / "results" / "batch-home"))
    os.environ["OLIST_TARGET"] = "local"
    os.environ.setdefault("OLIST_TASK_RETRIES", "0")
    from olist_dw.settings import get_settings

    settings = get_settings()
    source = args.source
    if source is None:
        from olist_dw.generator import generate

        source = settings.home / f"source-scale-{args.scale:g}-seed-{args.seed}"
        if not (source / "olist_orders_dataset.csv").exists():
            print(f"generating scale {args.scale:g} into {source} (not timed) ...", flush=True)
            generate(source, scale=args.scale, seed=args.seed, quiet=True)
    os.environ["OLIST_SOURCE_DIR"] = str(source.resolve())
    settings = get_settings()

    from olist_dw.batch.convert import convert_all
    from olist_dw.batch.land import land_all
    from olist_dw.batch.load import load_local
    from olist_dw.batch.publish import publish_local
    from olist_dw.batch.validate import validate_all
    from olist_dw.dbt_runner import run_dbt
    from olist_dw.targets import get_target

    target = get_target(settings)
    lake = target.lake()
    results: list = []
    rows = [0]
    with measured(results, "land", rows):
        land_all(lake, settings.effective_source_dir)
    with measured(results, "validate (+ Parquet, one pass)", rows):
        report = validate_all(lake, settings.max_bad_row_fraction)
        rows[0] = report["rows"]
    for stage, fn in (
        ("convert (checks the Parquet)", lambda: convert_all(lake)),
        ("load", lambda: load_local(settings.warehouse_path, settings.lake_dir)),
        ("dbt build tag:batch", lambda: run_dbt(["build", "--select", "tag:batch", "--quiet"], target)),
        ("publish", lambda: publish_local(settings.warehouse_path, settings.serving_path)),
    ):
        with measured(results, stage, rows):
            fn()
    results[0] = (results[0][0], results[0][1], rows[0], results[0][3])

    print(f"\nbatch stages in-process, {rows[0]:,} source rows ({source})")
    print(f"  {'stage':22} {'wall s':>8} {'rows/s':>12} {'peak RSS MB':>12}")
    for stage, elapsed, count, peak in results:
        print(f"  {stage:22} {elapsed:8.2f} {count / elapsed if elapsed else 0:12,.0f} {peak:12.0f}")
    total = sum(r[1] for r in results)
    print(f"  {'total':22} {total:8.2f} {rows[0] / total:12,.0f}")

    if not args.skip_airflow:
        from olist_dw.demo.batch import run_batch_dag

        started = time.perf_counter()
        log = run_batch_dag(settings)
        total = time.perf_counter() - started
        print(f"\nolist_batch through Airflow: {total:.1f} s end to end (Airflow DB check + `airflow dags test`)")
        print(f"  log: {log}")

    print("\nDAG parse time per file (fresh interpreter with Airflow imported; budget 0.5 s)")
    for name, cold, warm in parse_times():
        print(f"  {name:28} cold {cold:6.3f} s   warm {warm:6.3f} s")
    print(f"\n(cores: {os.cpu_count()}; figures are wall times on this machine, shared load included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
