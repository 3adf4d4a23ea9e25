"""The Airflow tasks of each olist_batch stage, for the target chosen at parse time.

Every builder returns one top-level node named after its stage (a task locally, a task group on AWS
where the stage takes several operators), so `dags/olist_batch.py` wires the same
land >> validate >> convert >> load >> transform >> publish on both targets. Building them is cheap:
no I/O, no network; the AWS operators are imported only when the target is aws.
"""

from __future__ import annotations

from airflow.sdk import TaskGroup, task

from olist_dw.airflow_local import WAREHOUSE_POOL
from olist_dw.assets import GOLD_ASSET
from olist_dw.contract import SOURCES
from olist_dw.settings import Settings

STAGES = ("land", "validate", "convert", "load", "transform", "publish")


# --- local (embedded default) -------------------------------------------------------------------


@task(task_id="land")
def land_local() -> list[str]:
    """Copy the nine source files into lake/bronze/<table>/."""
    from olist_dw.batch.land import land_all
    from olist_dw.lake import LocalLake
    from olist_dw.settings import get_settings

    settings = get_settings()
    return land_all(LocalLake(settings.lake_dir), settings.effective_source_dir)


@task(task_id="validate")
def validate_local() -> dict:
    """Check every file against the contract; quarantine bad rows; fail on an unusable file."""
    from olist_dw.batch.validate import validate_all
    from olist_dw.lake import LocalLake
    from olist_dw.settings import get_settings

    settings = get_settings()
    report = validate_all(LocalLake(settings.lake_dir), settings.max_bad_row_fraction)
    for file in report["files"]:
        print(f"{file['file']}: {file['rows']} rows, {file['rejected']} quarantined {file['reasons'] or ''}")
    return report


@task(task_id="convert")
def convert_local() -> dict[str, int]:
    """CSV -> snappy Parquet with the contract's types in lake/bronze-parquet/<table>/."""
    from olist_dw.batch.convert import convert_all
    from olist_dw.lake import LocalLake
    from olist_dw.settings import get_settings

    return convert_all(LocalLake(get_settings().lake_dir))


@task(task_id="load", pool=WAREHOUSE_POOL)
def load_local() -> dict[str, int]:
    """Replace raw.* in the DuckDB warehouse with this run's Parquet, in one transaction."""
    from olist_dw.batch.load import load_local as load
    from olist_dw.settings import get_settings

    settings = get_settings()
    return load(settings.warehouse_path, settings.lake_dir)


@task(task_id="publish", pool=WAREHOUSE_POOL, outlets=[GOLD_ASSET])
def publish_local() -> dict[str, int]:
    """Snapshot marts and gold into serving/analytics.duckdb (reached only when every test passed)."""
    from olist_dw.batch.publish import publish_local as publish
    from olist_dw.settings import get_settings

    settings = get_settings()
    counts = publish(settings.warehouse_path, settings.serving_path)
    print(f"published {len(counts)} tables to {settings.serving_path}")
    return counts


# --- AWS ----------------------------------------------------------------------------------------


@task(task_id="list_source_files")
def list_source_files() -> list[dict[str, str]]:
    from olist_dw.batch.land import files_to_land
    from olist_dw.settings import get_settings

    return files_to_land(get_settings().effective_source_dir)


@task(task_id="check_contract")
def validate_s3() -> dict:
    from olist_dw.batch.validate import validate_all
    from olist_dw.lake import S3Lake
    from olist_dw.settings import get_settings

    settings = get_settings()
    return validate_all(S3Lake(settings.s3_bucket, settings.aws_conn_id), settings.max_bad_row_fraction)


def glue_job_arguments(settings: Settings) -> dict[str, str]:
    return {
        "--source_path": f"s3://{settings.s3_bucket}/bronze/",
        "--target_path": f"s3://{settings.s3_bucket}/bronze-parquet/",
    }


def copy_kwargs(settings: Settings) -> list[dict[str, str]]:
    """One COPY per raw table (expand_kwargs of the mapped S3ToRedshift task)."""
    return [{"table": s.table, "s3_key": f"bronze-parquet/{s.table}/"} for s in SOURCES]


def aws_stages(settings: Settings) -> dict:
    from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
    from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerRunOperator
    from airflow.providers.amazon.aws.operators.s3 import S3DeleteObjectsOperator
    from airflow.providers.amazon.aws.transfers.local_to_s3 import LocalFilesystemToS3Operator
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

    from olist_dw.batch.load import RAW_SCHEMA, raw_table_ddl
    from olist_dw.batch.publish import redshift_swap_sql
    from olist_dw.batch.redshift import ParquetCopyOperator

    aws = {"aws_conn_id": settings.aws_conn_id, "region_name": settings.aws_region}
    with TaskGroup("land") as land:
        clear_bronze = S3DeleteObjectsOperator(
            task_id="clear_bronze", bucket=settings.s3_bucket, prefix="bronze/", aws_conn_id=settings.aws_conn_id
        )
        upload = LocalFilesystemToS3Operator.partial(
            task_id="upload", dest_bucket=settings.s3_bucket, aws_conn_id=settings.aws_conn_id, replace=True
        ).expand_kwargs(list_source_files())
        clear_bronze >> upload
    with TaskGroup("validate") as validate:
        validate_s3()
    with TaskGroup("convert") as convert:
        crawl_bronze = GlueCrawlerRunOperator(task_id="crawl_bronze", crawler_name=settings.glue_crawler, **aws)
        csv_to_parquet = GlueJobOperator(
            task_id="csv_to_parquet",
            job_name=settings.glue_job,
            script_args=glue_job_arguments(settings),
            wait_for_completion=True,
            **aws,
        )
        crawl_bronze >> csv_to_parquet
    with TaskGroup("load") as load:
        create_raw_tables = SQLExecuteQueryOperator(
            task_id="create_raw_tables", conn_id=settings.redshift_conn_id, sql=raw_table_ddl()
        )
        copy_to_raw = ParquetCopyOperator.partial(
            task_id="copy_to_raw",
            schema=RAW_SCHEMA,
            s3_bucket=settings.s3_bucket,
            redshift_conn_id=settings.redshift_conn_id,
            aws_conn_id=settings.aws_conn_id,
            iam_role_arn=settings.redshift_iam_role_arn,
        ).expand_kwargs(copy_kwargs(settings))
        create_raw_tables >> copy_to_raw
    with TaskGroup("publish") as publish:
        SQLExecuteQueryOperator(
            task_id="swap_schemas",
            conn_id=settings.redshift_conn_id,
            sql=redshift_swap_sql(),
            autocommit=True,
            outlets=[GOLD_ASSET],
        )
    return {"land": land, "validate": validate, "convert": convert, "load": load, "publish": publish}


def local_stages(settings: Settings) -> dict:
    return {
        "land": land_local(),
        "validate": validate_local(),
        "convert": convert_local(),
        "load": load_local(),
        "publish": publish_local(),
    }


def batch_stages(settings: Settings) -> dict:
    """The non-dbt stages of the target (call inside the DAG context)."""
    return aws_stages(settings) if settings.target == "aws" else local_stages(settings)
