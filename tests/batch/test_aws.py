"""The AWS branch of olist_batch offline: moto for the S3 and Glue calls its operators make, the
Redshift COPY and publish statements rendered and checked, `dbt parse --target aws`."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import boto3
import pytest

pytestmark = pytest.mark.aws

BUCKET = "olist-lake-test"
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/olist-redshift-copy"


@pytest.fixture
def aws_env(monkeypatch, olist_home):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps({"conn_type": "aws", "extra": {"region_name": REGION}}))
    monkeypatch.setenv("OLIST_TARGET", "aws")
    monkeypatch.setenv("OLIST_S3_BUCKET", BUCKET)
    monkeypatch.setenv("OLIST_REDSHIFT_IAM_ROLE_ARN", ROLE_ARN)
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield


def test_land_copies_the_inbox_into_bronze_byte_for_byte_then_validate_on_s3(aws_env, source_dir: Path):
    from olist_dw.batch.land import land_from_inbox, upload_to_inbox
    from olist_dw.batch.validate import validate_all
    from olist_dw.lake import S3Lake

    lines = (source_dir / "olist_order_items_dataset.csv").read_bytes().splitlines(keepends=True)
    lines[4] = lines[4].replace(b",", b",x", 1)  # one bad order_item_id -> quarantined on S3
    (source_dir / "olist_order_items_dataset.csv").write_bytes(b"".join(lines))
    s3 = boto3.client("s3", region_name=REGION)
    upload_to_inbox(s3, source_dir, BUCKET, "inbox/")  # what `olist-dw infra upload-source` does

    landed = land_from_inbox(S3Lake(BUCKET), BUCKET, "inbox/")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="bronze/")["Contents"])
    assert keys == sorted(landed) and len(keys) == 9
    assert "bronze/orders/olist_orders_dataset.csv" in keys
    for key in keys:
        name = key.rsplit("/", 1)[-1]
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == (source_dir / name).read_bytes(), key

    report = validate_all(S3Lake(BUCKET), max_fraction=0.01, write_parquet=False)
    assert report["rejected"] == 1
    rejected = s3.get_object(Bucket=BUCKET, Key="quarantine/order_items/olist_order_items_dataset.rejected.csv")
    assert b"order_item_id: not an integer" in rejected["Body"].read()
    assert s3.head_object(Bucket=BUCKET, Key="quarantine/validation_report.json")


def test_land_from_inbox_is_idempotent_and_drops_a_stale_file(aws_env, source_dir: Path):
    import gzip

    from olist_dw.batch.land import land_from_inbox, upload_to_inbox
    from olist_dw.lake import S3Lake

    s3 = boto3.client("s3", region_name=REGION)
    upload_to_inbox(s3, source_dir, BUCKET, "inbox/")
    land_from_inbox(S3Lake(BUCKET), BUCKET, "inbox/")
    # the user re-uploads orders gzipped: the inbox keeps only the new variant, bronze/orders/ only its copy
    orders = source_dir / "olist_orders_dataset.csv"
    (source_dir / "olist_orders_dataset.csv.gz").write_bytes(gzip.compress(orders.read_bytes()))
    orders.unlink()
    upload_to_inbox(s3, source_dir, BUCKET, "inbox/")
    first = land_from_inbox(S3Lake(BUCKET), BUCKET, "inbox/")
    again = land_from_inbox(S3Lake(BUCKET), BUCKET, "inbox/")

    assert first == again
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="bronze/")["Contents"])
    assert listed == sorted(first) and len(listed) == 9
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="bronze/orders/")["Contents"][0]["Key"] == (
        "bronze/orders/olist_orders_dataset.csv.gz"
    )
    inbox = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="inbox/olist_orders")["Contents"]]
    assert inbox == ["inbox/olist_orders_dataset.csv.gz"]


def test_land_from_inbox_names_the_missing_file_and_copies_nothing(aws_env, source_dir: Path):
    from olist_dw.batch.land import land_from_inbox, upload_to_inbox
    from olist_dw.errors import UserFacingError
    from olist_dw.lake import S3Lake

    s3 = boto3.client("s3", region_name=REGION)
    upload_to_inbox(s3, source_dir, BUCKET, "inbox/")
    s3.delete_object(Bucket=BUCKET, Key="inbox/olist_sellers_dataset.csv")

    with pytest.raises(UserFacingError, match="missing file") as failed:
        land_from_inbox(S3Lake(BUCKET), BUCKET, "inbox/")
    assert f"s3://{BUCKET}/inbox/olist_sellers_dataset.csv" in str(failed.value)
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="bronze/")


def test_inbox_is_olist_s3_inbox_else_the_lake_bucket(monkeypatch):
    from pydantic import ValidationError

    from olist_dw.batch.land import inbox_location
    from olist_dw.errors import UserFacingError
    from olist_dw.settings import Settings

    assert inbox_location(Settings(s3_bucket=BUCKET)) == (BUCKET, "inbox/")
    assert inbox_location(Settings(s3_bucket=BUCKET, s3_inbox="s3://drop-zone/olist/2026/")) == (
        "drop-zone",
        "olist/2026/",
    )
    with pytest.raises(UserFacingError, match="OLIST_S3_BUCKET"):
        inbox_location(Settings(s3_bucket=""))
    monkeypatch.setenv("OLIST_S3_INBOX", "s3://drop-zone/olist")  # no trailing '/': a prefix, not a key
    with pytest.raises(ValidationError, match="s3_inbox"):
        Settings()


def test_upload_source_command_fills_the_configured_inbox(aws_env, source_dir: Path, monkeypatch, capsys):
    from olist_dw.cli import main

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="drop-zone")
    monkeypatch.setenv("OLIST_S3_INBOX", "s3://drop-zone/olist/")
    assert main(["infra", "upload-source", "--from", str(source_dir)]) == 0

    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="drop-zone", Prefix="olist/")["Contents"])
    assert keys == sorted(f"olist/{p.name}" for p in source_dir.iterdir()) and len(keys) == 9
    assert "s3://drop-zone/olist/" in capsys.readouterr().out


def crawls_started(glue, name: str) -> int:
    """How many times the crawler was started: moto records one crawl per StartCrawler (`LastCrawl` in
    GetCrawler, the history in ListCrawls); `State` alone cannot tell, it reads READY before a start and again
    once moto's crawl completes."""
    crawler = glue.get_crawler(Name=name)["Crawler"]
    crawls = glue.list_crawls(CrawlerName=name)["Crawls"]
    assert ("LastCrawl" in crawler) == bool(crawls), (crawler, crawls)
    return len(crawls)


def test_glue_operators_start_the_crawler_and_the_job_with_its_arguments(aws_env):
    from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
    from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerRunOperator

    from olist_dw.settings import get_settings
    from olist_dw.targets.aws import glue_job_arguments

    settings = get_settings()
    glue = boto3.client("glue", region_name=REGION)
    glue.create_crawler(
        Name=settings.glue_crawler,
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName=settings.glue_database,
        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/bronze/"}]},
    )
    glue.create_job(
        Name=settings.glue_job,
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/csv_to_parquet.py"},
    )
    assert crawls_started(glue, settings.glue_crawler) == 0  # a created crawler is READY, never started
    GlueCrawlerRunOperator(
        task_id="crawl_bronze", crawler_name=settings.glue_crawler, wait_for_completion=False
    ).execute({})
    assert crawls_started(glue, settings.glue_crawler) == 1

    run_id = GlueJobOperator(
        task_id="csv_to_parquet",
        job_name=settings.glue_job,
        script_args=glue_job_arguments(settings),
        wait_for_completion=False,
    ).execute({"ti": mock.MagicMock()})
    run = glue.get_job_run(JobName=settings.glue_job, RunId=run_id)["JobRun"]
    assert run["Arguments"] == {
        "--source_path": f"s3://{BUCKET}/bronze/",
        "--target_path": f"s3://{BUCKET}/bronze-parquet/",
    }


def test_copy_statements_read_parquet_with_the_iam_role(aws_env, monkeypatch):
    from airflow.providers.amazon.aws.hooks.redshift_sql import RedshiftSQLHook

    from olist_dw.batch.redshift import ParquetCopyOperator
    from olist_dw.targets.aws import copy_kwargs

    executed: list[list[str]] = []
    monkeypatch.setattr(RedshiftSQLHook, "run", lambda self, sql, autocommit=False, **_: executed.append(sql))
    for kwargs in copy_kwargs():
        ParquetCopyOperator(
            task_id="copy_to_raw", schema="raw", s3_bucket=BUCKET, iam_role_arn=ROLE_ARN, **kwargs
        ).execute({})
    assert len(executed) == 9
    begin, delete, copy, commit = executed[5]  # orders
    assert (begin, delete, commit) == ("BEGIN;", "DELETE FROM raw.orders;", "COMMIT")
    words = " ".join(copy.split())
    assert words == (
        f"COPY raw.orders FROM 's3://{BUCKET}/bronze-parquet/orders/' credentials "
        f"'aws_iam_role={ROLE_ARN}' FORMAT AS PARQUET;"
    )
    assert all("testing" not in " ".join(sql) for sql in executed)  # never an access key


def test_raw_ddl_and_publish_swap_statements():
    from olist_dw.batch.load import raw_table_ddl
    from olist_dw.batch.publish import redshift_swap_sql

    ddl = raw_table_ddl()
    assert ddl[0] == "create schema if not exists raw"
    assert '"customer_zip_code_prefix" varchar(5)' in next(s for s in ddl if "raw.customers " in s)
    assert '"price" decimal(12, 2)' in next(s for s in ddl if "raw.order_items " in s)
    swap = redshift_swap_sql()
    assert swap[0] == "begin" and "commit" in swap
    inside = swap[: swap.index("commit")]
    assert "alter schema marts__build rename to marts" in inside
    assert "alter schema gold__build rename to gold" in inside
    assert inside.index("alter schema marts rename to marts__previous") < inside.index(
        "alter schema marts__build rename to marts"
    )
    assert not any("grant" in statement for statement in swap)  # dbt's grants follow the renamed schemas


def test_cosmos_redshift_profile_comes_from_the_connection(aws_env, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_REDSHIFT_DEFAULT",
        json.dumps(
            {
                "conn_type": "redshift",
                "host": "wg.123.us-east-1.redshift-serverless.amazonaws.com",
                "login": "dbt_user",
                "password": "s3cret",  # pragma: allowlist secret (test fixture)
                "schema": "olist",
                "port": 5439,
            }
        ),
    )
    from olist_dw.settings import get_settings
    from olist_dw.targets import get_target

    mapping = get_target(get_settings()).dbt_profile_config().profile_mapping
    profile = mapping.profile
    assert profile["host"].startswith("wg.") and profile["dbname"] == "olist" and profile["user"] == "dbt_user"
    assert "s3cret" not in json.dumps(profile)  # the password goes through an environment variable
    assert mapping.env_vars and "s3cret" in mapping.env_vars.values()


def test_dbt_parse_for_the_redshift_target(tmp_path: Path, monkeypatch):
    from dbt.cli.main import dbtRunner

    from olist_dw.settings import DBT_PROJECT_DIR

    monkeypatch.setenv("OLIST_TARGET", "aws")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("OLIST_DBT_SCHEMA_SUFFIX", "__build")  # as the AWS target's dbt_env sets it
    result = dbtRunner().invoke(
        [
            "parse",
            "--target",
            "aws",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--no-partial-parse",
            "--quiet",
        ]
    )
    assert result.success, result.exception
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == "redshift"
    models = {n["name"]: n["schema"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert len([s for s in models.values() if s == "gold__build"]) == 4
    # published schemas are built aside and swapped in by publish; the others keep their names
    assert models["fct_orders"] == "marts__build"
    assert models["stg_olist__orders"] == "staging"
    assert models["gold_sim"] == "realtime"
