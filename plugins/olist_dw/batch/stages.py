"""The Airflow tasks of olist_batch's stages that run the project's own code (the targets wire them).

Each task builds its adapters at run time from the worker's settings (`get_target(get_settings())`), so
the same task runs on any target; `olist_dw.targets.local` and `olist_dw.targets.aws` decide which of them
a target uses and what they run beside (Glue, COPY, the schema swap on AWS). Defining them is cheap: no
I/O, no network.
"""

from __future__ import annotations

from airflow.sdk import task

STAGES = ("land", "validate", "convert", "load", "transform", "publish")


def _target():
    from olist_dw.settings import get_settings
    from olist_dw.targets import get_target

    return get_target(get_settings())


@task(task_id="land")
def land() -> list[str]:
    """Copy the nine source files into the lake's bronze/<table>/ (generated first on a fresh OLIST_HOME)."""
    from olist_dw.batch.land import land_all
    from olist_dw.source_data import ensure_source_data

    target = _target()
    return land_all(target.lake(), ensure_source_data(target.settings))


@task(task_id="validate")
def validate(write_parquet: bool) -> dict:
    """Check every file against the contract; quarantine bad rows; fail on an unusable file.

    With `write_parquet` the same pass writes bronze-parquet/ (every CSV parsed once); the AWS target passes
    False, since its Glue job converts."""
    from olist_dw.batch.validate import validate_all

    target = _target()
    report = validate_all(target.lake(), target.settings.max_bad_row_fraction, write_parquet=write_parquet)
    for file in report["files"]:
        print(f"{file['file']}: {file['rows']} rows, {file['rejected']} quarantined {file['reasons'] or ''}")
    return report


@task(task_id="convert")
def convert() -> dict[str, int]:
    """Check that validate's snappy Parquet (the contract's types) is in bronze-parquet/<table>/; row counts."""
    from olist_dw.batch.convert import convert_all

    return convert_all(_target().lake())


@task(task_id="load")
def load_into_duckdb() -> dict[str, int]:
    """Replace raw.* in the DuckDB warehouse with this run's Parquet, in one transaction."""
    from olist_dw.batch.load import load_local

    settings = _target().settings
    return load_local(settings.warehouse_path, settings.lake_dir)


@task(task_id="publish")
def publish_duckdb_snapshot() -> dict[str, int]:
    """Snapshot marts and gold into serving/analytics.duckdb (reached only when every test passed)."""
    from olist_dw.batch.publish import publish_local

    settings = _target().settings
    counts = publish_local(settings.warehouse_path, settings.serving_path)
    print(f"published {len(counts)} tables to {settings.serving_path}")
    return counts


@task(task_id="land")
def land_from_inbox() -> list[str]:
    """Copy the nine source files from the S3 inbox (OLIST_S3_INBOX, default s3://<lake>/inbox/) into
    bronze/<table>/ server-side; a missing file fails at once, naming it."""
    from olist_dw.batch.land import inbox_location, land_from_inbox

    target = _target()
    return land_from_inbox(target.lake(), *inbox_location(target.settings))
