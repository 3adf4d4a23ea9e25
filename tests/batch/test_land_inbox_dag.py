"""olist_batch with OLIST_TARGET=aws lands from the S3 inbox, not from the worker's disk: real DAG runs
(`dag.test()` in a subprocess, as tests/dags/test_fail_fast.py runs them) against a moto server on 127.0.0.1
(the Airflow AWS connection points at it). OLIST_SOURCE_DIR is set to an empty folder: a land that still read
the worker's disk fails on it.

The run stops at convert (moto has no crawler of that name; Glue is the emulator rehearsal's business), so the
tests read land's and validate's outcome and the objects in the bucket."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from olist_dw.airflow_local import airflow_env, ensure_airflow_db
from olist_dw.settings import get_settings
from tests.dags.dag_runs import RUN_AND_REPORT, report_lines
from tests.infra.emulator import REGION, aws_connection_env, moto_server

pytestmark = pytest.mark.aws

BUCKET = "olist-lake-dag-test"
DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture
def aws_batch(source_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A moto server with the lake bucket, and the Airflow environment of an aws-target olist_batch run."""
    empty = tmp_path / "worker-disk"
    empty.mkdir()
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(empty))  # nothing on the worker's disk
    monkeypatch.setenv("OLIST_TASK_RETRIES", "2")  # a deterministic error must still fail at try 1
    monkeypatch.setenv("OLIST_AIRFLOW_DB", "sqlite")
    with moto_server() as endpoint:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret (moto)
            "AWS_DEFAULT_REGION": REGION,
            "OLIST_TARGET": "aws",
            "OLIST_AWS_REGION": REGION,
            "OLIST_S3_BUCKET": BUCKET,
            **aws_connection_env(endpoint),
        }.items():
            monkeypatch.setenv(name, value)
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
        s3.create_bucket(Bucket=BUCKET)
        settings = get_settings()
        ensure_airflow_db(settings)
        yield s3, airflow_env(settings)


def run_olist_batch(env: dict[str, str]) -> tuple[dict, str]:
    """One olist_batch run: (task states and tries, the run's output with the task logs)."""
    result = subprocess.run(
        [sys.executable, "-c", RUN_AND_REPORT, "olist_batch", "run", str(DAGS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    reports = report_lines(result.stdout)
    assert reports, f"no report (exit {result.returncode}):\n{output[-4000:]}"
    return reports[-1], output


def upload_inbox(s3, source_dir: Path, skip: str | None = None) -> None:
    for path in sorted(source_dir.iterdir()):
        if path.name != skip:
            s3.upload_file(str(path), BUCKET, f"inbox/{path.name}")


def test_aws_olist_batch_lands_the_inbox_byte_for_byte(aws_batch, source_dir: Path):
    s3, env = aws_batch
    upload_inbox(s3, source_dir)
    env["OLIST_TASK_RETRIES"] = "0"  # convert fails on moto (no crawler): no retry delays

    report, _ = run_olist_batch(env)

    assert report["tasks"]["land"] == ["success", 1]
    assert report["tasks"]["validate.check_contract"] == ["success", 1]  # validate read the landed objects
    landed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="bronze/")["Contents"])
    assert len(landed) == 9 and "bronze/customers/olist_customers_dataset.csv" in landed
    for key in landed:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert body == (source_dir / key.rsplit("/", 1)[-1]).read_bytes(), key
    validation = json.loads(s3.get_object(Bucket=BUCKET, Key="quarantine/validation_report.json")["Body"].read())
    assert validation["rejected"] == 0


def test_aws_olist_batch_fails_at_the_first_try_naming_the_missing_inbox_file(aws_batch, source_dir: Path):
    s3, env = aws_batch
    upload_inbox(s3, source_dir, skip="olist_geolocation_dataset.csv")

    report, output = run_olist_batch(env)

    assert report["tasks"]["land"] == ["failed", 1]  # FileRejectedError is deterministic: not retried
    assert report["tasks"]["validate.check_contract"][0] == "upstream_failed"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="bronze/")  # nothing landed
    assert f"s3://{BUCKET}/inbox/olist_geolocation_dataset.csv: missing file" in output
