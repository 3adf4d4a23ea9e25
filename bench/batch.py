"""Benchmark of the batch pipeline: CSV -> Parquet side by side (the project's validate + convert, a bare
DuckDB COPY floor, the original design's Spark job), per-stage wall time, rows/s and peak memory, the whole
olist_batch DAG run through Airflow, and each DAG file's parse time.

    .venv/bin/python bench/batch.py --scale 1          # generates the data first (not timed)
    .venv/bin/python bench/batch.py --source DIR       # the nine files of DIR (e.g. the Kaggle files)
    .venv/bin/python bench/batch.py --source DIR --conversion-only   # the side-by-side section alone

Side by side, each contender runs in its own fresh process on the same landed files (--repeat N: N interleaved
runs each, the fastest kept);
its peak RSS is that process's (and its reaped children's, the JVM for Spark) ru_maxrss from os.wait4, its
seconds are measured inside it (imports and the JVM start-up left out, printed apart):
- project: `validate_all` (header, row rules, keys between files, quarantine, Parquet) + `convert_all`;
- DuckDB floor: `COPY (SELECT * FROM read_csv(file)) TO file.parquet` per file, nothing checked;
- Spark: the original design's job, `spark.read.csv(header, inferSchema, multiLine)` -> snappy Parquet per
  file, local[cores] (when pyspark and java are installed).

Targets (2 cores): project <= 2x the DuckDB floor at scale 1; scale 10 peak RSS <= 1.5 GB; scale 1 end to
end <= 90 s; DAG parse <= 0.5 s per file. State goes to OLIST_HOME (default bench/results/batch-home/<dataset>,
one home per scale and seed or --source folder), never to the user's .olist; the side-by-side lake is a
temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
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


# --- CSV -> Parquet side by side: one fresh process per contender ------------------------------------


def landed_files(lake_dir: Path) -> list[Path]:
    return sorted(p for p in (lake_dir / "bronze").glob("*/*") if p.name.endswith((".csv", ".csv.gz")))


def contender_project(lake_dir: Path, out: Path, cores: int) -> dict:
    from olist_dw.batch.convert import convert_all
    from olist_dw.batch.validate import validate_all
    from olist_dw.lake import LocalLake

    lake = LocalLake(lake_dir)
    started = time.perf_counter()
    report = validate_all(lake, max_fraction=0.05)
    validated = time.perf_counter()
    counts = convert_all(lake)
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "rows": sum(counts.values()),
        "rejected": report["rejected"],
        "split": f"validate {validated - started:.2f} s + convert {done - validated:.2f} s",
    }


def contender_duckdb(lake_dir: Path, out: Path, cores: int) -> dict:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    rows = 0
    for path in landed_files(lake_dir):
        target = out / f"{path.parent.name}.parquet"
        con.execute(f"copy (select * from read_csv('{path}')) to '{target}' (format parquet, compression snappy)")
        rows += con.execute(f"select count(*) from read_parquet('{target}')").fetchall()[0][0]
    return {"seconds": time.perf_counter() - started, "rows": rows}


def contender_spark(lake_dir: Path, out: Path, cores: int) -> dict:
    from pyspark.sql import SparkSession

    launched = time.perf_counter()
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("bench_batch")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    rows = 0
    for path in landed_files(lake_dir):
        frame = (
            spark.read.option("header", True)
            .option("inferSchema", True)
            .option("multiLine", True)  # the reviews' texts span lines
            .option("escape", '"')
            .csv(path.as_uri())
        )
        target = out / path.parent.name
        frame.write.mode("overwrite").option("compression", "snappy").parquet(target.as_uri())
        rows += spark.read.parquet(target.as_uri()).count()
    seconds = time.perf_counter() - started
    # Stop the JVM and reap it, so its peak RSS is counted in this process's children.
    gateway = spark.sparkContext._gateway
    assert gateway is not None
    proc = gateway.proc
    spark.stop()
    gateway.shutdown()
    proc.stdin.close()
    proc.wait(timeout=120)
    return {"seconds": seconds, "rows": rows, "split": f"JVM start-up {started - launched:.1f} s not counted"}


CONTENDERS = {"project": contender_project, "duckdb": contender_duckdb, "spark": contender_spark}
LABELS = {
    "project": "project validate + convert",
    "duckdb": "DuckDB COPY read_csv (floor)",
    "spark": "Spark header+inferSchema",
}


def run_contender(name: str, lake_dir: Path, out: Path, cores: int) -> dict:
    """Run one contender in a fresh interpreter; its figures plus peak RSS (ru_maxrss of that child)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as stdout:
        command = [sys.executable, __file__, "--contender", name, "--lake", str(lake_dir), "--out", str(out)]
        wall = time.perf_counter()
        child = subprocess.Popen([*command, "--cores", str(cores)], stdout=stdout, env=os.environ)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - wall
        stdout.seek(0)
        text = stdout.read().decode()
    if child.returncode:
        raise SystemExit(f"contender {name} failed (exit {child.returncode}):\n{text[-2000:]}")
    figures = json.loads(text.strip().splitlines()[-1])
    return figures | {"peak_mb": usage.ru_maxrss / 1024, "wall": wall}


def spark_available() -> str | None:
    """Why Spark cannot run here, or None."""
    if not shutil.which("java"):
        return "no java (make java)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark not installed (requirements-dev.txt)"
    return None


def side_by_side(source: Path, cores: int, with_spark: bool, repeat: int = 1) -> None:
    from olist_dw.batch.land import land_all
    from olist_dw.lake import LocalLake

    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="olist-bench-batch-") as scratch_name:
        scratch = Path(scratch_name)
        lake_dir = scratch / "lake"
        land_all(LocalLake(lake_dir), source)
        size = sum(p.stat().st_size for p in landed_files(lake_dir))
        names = ["project", "duckdb"]
        skipped = spark_available() if with_spark else "--no-spark"
        if not skipped:
            names.append("spark")
        runs: dict[str, list[dict]] = {name: [] for name in names}
        for _ in range(repeat):  # interleaved, so a burst of load elsewhere hits every contender alike
            for name in names:
                runs[name].append(run_contender(name, lake_dir, scratch / name, cores))
        results = {name: min(figures, key=lambda f: f["seconds"]) for name, figures in runs.items()}
    after = os.getloadavg()
    floor = results["duckdb"]["seconds"]
    print(f"\nCSV -> Parquet side by side: {source}, {size / 2**20:,.0f} MB landed, one fresh process per run")
    print(f"  best of {repeat} interleaved runs per contender (its seconds and, of that run, its peak RSS)")
    before_text, after_text = (" ".join(f"{x:.2f}" for x in figures) for figures in (load, after))
    print(f"  load average (1, 5, 15 min): before {before_text}, after {after_text}; cores {os.cpu_count()}")
    print(f"  {'contender':30} {'seconds':>8} {'x floor':>8} {'rows out':>11} {'peak RSS MB':>12}  notes")
    for name, figures in results.items():
        notes = figures.get("split", "")
        if "rejected" in figures:
            notes += f"; {figures['rejected']} rows quarantined"
        print(
            f"  {LABELS[name]:30} {figures['seconds']:8.2f} {figures['seconds'] / floor:8.2f} "
            f"{figures['rows']:11,} {figures['peak_mb']:12.0f}  {notes}"
        )
    if skipped:
        print(f"  Spark skipped: {skipped}")


# --- the pipeline in process, through Airflow, DAG parse times --------------------------------------


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


def stages_in_process(settings, source: Path) -> None:
    from olist_dw.batch.convert import convert_all
    from olist_dw.batch.land import land_all
    from olist_dw.batch.load import load_local
    from olist_dw.batch.publish import publish_local
    from olist_dw.batch.validate import validate_all
    from olist_dw.cosmos_config import PRODUCER_DBT_LOG_FLAGS
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
        # The producer's command: its dbt loggers are off (Cosmos logs each event from its callback).
        (
            "dbt build tag:batch",
            lambda: run_dbt(["build", "--select", "tag:batch", *PRODUCER_DBT_LOG_FLAGS], target),
        ),
        ("publish", lambda: publish_local(settings.warehouse_path, settings.serving_path)),
    ):
        with measured(results, stage, rows):
            fn()
    results[0] = (results[0][0], results[0][1], rows[0], results[0][3])

    print(f"\nbatch stages in-process, {rows[0]:,} source rows ({source})")
    print(f"  {'stage':30} {'wall s':>8} {'rows/s':>12} {'peak RSS MB':>12}")
    for stage, elapsed, count, peak in results:
        print(f"  {stage:30} {elapsed:8.2f} {count / elapsed if elapsed else 0:12,.0f} {peak:12.0f}")
    total = sum(r[1] for r in results)
    print(f"  {'total':30} {total:8.2f} {rows[0] / total:12,.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--source", type=Path, default=None, help="use these files instead of generating")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2, help="Spark local[N]")
    parser.add_argument("--repeat", type=int, default=1, help="side-by-side runs per contender, best kept")
    parser.add_argument("--no-spark", action="store_true", help="leave the Spark contender out")
    parser.add_argument("--conversion-only", action="store_true", help="only CSV -> Parquet side by side")
    parser.add_argument("--skip-airflow", action="store_true", help="stages only, no DAG run through Airflow")
    parser.add_argument("--contender", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--lake", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.contender:  # a child of side_by_side: one JSON line on stdout
        figures = CONTENDERS[args.contender](args.lake, args.out, args.cores)
        print(json.dumps(figures))
        return 0

    # One home per dataset: the warehouse's snapshots keep the history of every extract loaded into it, and an
    # unrelated dataset is not a later extract of the same shop (its items would find no product version).
    dataset = f"source-{args.source.resolve().name}" if args.source else f"scale-{args.scale:g}-seed-{args.seed}"
    os.environ.setdefault("OLIST_HOME", str(ROOT / "bench" / "results" / "batch-home" / dataset))
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
    source = source.resolve()
    side_by_side(source, args.cores, with_spark=not args.no_spark, repeat=args.repeat)
    if args.conversion_only:
        return 0

    os.environ["OLIST_SOURCE_DIR"] = str(source)
    settings = get_settings()
    # As `make demo` and `make airflow` do for their home: the manifest and dbt's partial-parse state for this
    # home's profile, so the dbt stage measures the build, not a first full parse of the project.
    print("dbt manifest for this home, as `make manifest` builds it (not timed) ...", flush=True)
    subprocess.run([sys.executable, "-m", "olist_dw.cli", "dbt-manifest"], check=True, capture_output=True)
    stages_in_process(settings, source)

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
