"""Benchmark of the Glue job in Spark local mode: the row-by-row job (Python mapPartitions over each row, as
it was before issue 11) against the column-expression job of today, and the floor of a plain Spark read of
the CSVs with their types and write of the Parquet, all in one run on the same landed files.

    .venv/bin/python bench/glue_spark.py --scale 1 [--source DIR] [--cores 2] [--repeat 1]

The files are generated (or taken from --source), landed and checked as the olist_batch DAG does on AWS
(validate without Parquet: quarantine/broken_keys.json); then one SparkSession (local[cores]) runs each
variant in turn after a warm-up. Each job runs its main() with tests/batch/fake_awsglue standing in for
Glue's awsglue library; the row-by-row job is read from git (BEFORE_COMMIT) with its s3:// check lifted.
Printed: the wall time of each variant (best of --repeat), its rows written, and the timestamp type it wrote.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "include" / "glue" / "csv_to_parquet.py"
CONTRACT = ROOT / "plugins" / "olist_dw" / "olist_sources.json"
FAKE_AWSGLUE = ROOT / "tests" / "batch" / "fake_awsglue"
BEFORE_COMMIT = "dc9bc8a"  # the last job that converted row by row in Python (rdd.mapPartitions)


def load_job(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row_by_row_job(scratch: Path):
    """The job as of BEFORE_COMMIT; its parse_args accepted s3:// only: file:// URIs are let through."""
    path = scratch / "csv_to_parquet_row_by_row.py"
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:include/glue/csv_to_parquet.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path.write_text(text.replace('.startswith("s3://")', '.startswith(("s3://", "file://"))'))
    os.environ["OLIST_SOURCES_CONTRACT"] = str(CONTRACT)  # it finds the contract beside itself otherwise
    return load_job(path, "csv_to_parquet_row_by_row")


def run_main(job, uri: str, target: str) -> None:
    saved = sys.argv
    sys.argv = ["csv_to_parquet.py", "--JOB_NAME", "bench", "--source_path", f"{uri}/bronze/"]
    sys.argv += ["--target_path", f"{uri}/{target}/"]
    try:
        job.main()
    finally:
        sys.argv = saved


def plain_read_write(spark, job, uri: str, target: str) -> None:
    """The floor: each CSV read with its typed schema and written as snappy Parquet, no row rules."""
    from pyspark.sql.types import StructField, StructType

    for table, (_, columns) in job.SCHEMAS.items():
        schema = StructType([StructField(name, _spark_type(job.SPARK_TYPES[kind]), True) for name, kind, _ in columns])
        (
            spark.read.schema(schema)
            .option("header", True)
            .option("multiLine", True)
            .option("escape", '"')
            .option("timestampNTZFormat", job.SPARK_TIMESTAMP_FORMAT)
            .csv(f"{uri}/bronze/{table}/")
            .write.mode("overwrite")
            .option("compression", "snappy")
            .parquet(f"{uri}/{target}/{table}/")
        )


def _spark_type(ddl: str):
    from pyspark.sql.types import _parse_datatype_string

    return _parse_datatype_string(ddl)


def written(lake_dir: Path, target: str) -> tuple[int, str]:
    """Rows written under <target>/ and the type of orders.order_purchase_timestamp."""
    import pyarrow.dataset as ds

    rows = 0
    for folder in sorted((lake_dir / target).iterdir()):
        rows += ds.dataset(folder, format="parquet").count_rows()
    orders = ds.dataset(lake_dir / target / "orders", format="parquet")
    return rows, str(orders.schema.field("order_purchase_timestamp").type)


def best_of(repeat: int, run: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--source", default=None, help="a folder of source files (else generated at --scale)")
    parser.add_argument("--cores", type=int, default=2, help="Spark local[N]")
    parser.add_argument("--memory", default="2g", help="spark.driver.memory")
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant; the best is printed")
    args = parser.parse_args()

    from olist_dw.batch.land import land_all
    from olist_dw.batch.validate import validate_all
    from olist_dw.lake import LocalLake

    with tempfile.TemporaryDirectory(prefix="olist-bench-glue-") as scratch_name:
        scratch = Path(scratch_name)
        source = Path(args.source) if args.source else scratch / "source"
        if not args.source:
            from olist_dw.generator import generate

            generate(source, scale=args.scale, seed=42, quiet=True)
        lake = LocalLake(scratch / "lake")
        land_all(lake, source)
        validate_all(lake, max_fraction=0.5, write_parquet=False)  # check_contract: broken_keys.json
        uri = lake.path("").as_uri().rstrip("/")

        sys.path.insert(0, str(FAKE_AWSGLUE))
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master(f"local[{args.cores}]")
            .appName("bench_glue_spark")
            .config("spark.driver.memory", args.memory)
            .config("spark.sql.shuffle.partitions", str(args.cores))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        after, before = load_job(SCRIPT, "csv_to_parquet"), row_by_row_job(scratch)
        variants = [
            ("plain Spark read+write (floor)", "floor", lambda: plain_read_write(spark, after, uri, "floor")),
            ("row by row (Python mapPartitions)", "before", lambda: run_main(before, uri, "before")),
            ("column expressions (today)", "after", lambda: run_main(after, uri, "after")),
        ]
        plain_read_write(spark, after, uri, "warm-up")  # JIT, class loading, the first job's costs
        shutil.rmtree(lake.path("warm-up"))
        data = args.source or f"generated at scale {args.scale}"
        print(f"{data}, local[{args.cores}], driver memory {args.memory}, best of {args.repeat}")
        print(f"{'variant':36} {'seconds':>8} {'rows written':>13}  timestamp type")
        for label, target, run in variants:
            seconds = best_of(args.repeat, run)
            rows, timestamp = written(lake.path(""), target)
            print(f"{label:36} {seconds:8.1f} {rows:13,}  {timestamp}", flush=True)
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
