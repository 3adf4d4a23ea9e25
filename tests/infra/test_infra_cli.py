"""`olist-dw infra ...` from the command line: plan works offline; the others fail clearly without an account."""

from __future__ import annotations

import pytest

from olist_dw.cli import main


def test_plan_lists_every_resource_without_an_account(capsys, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")  # no credentials at all: plan must not need them
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert main(["infra", "plan", "--env", "dev"]) == 0
    out = capsys.readouterr().out
    assert "stack olist-dev-bootstrap" in out and "stack olist-dev " in out
    for expected in (
        "AWS::S3::Bucket",
        "BucketName = olist-dev-lake-<account>-us-east-1",
        "TableName = Sim_Config",
        "Name = olist-orders",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::RedshiftServerless::Workgroup",
        "PubliclyAccessible = False",
        "ScheduleExpression = rate(1 minute)",
        "Command.ScriptLocation = s3://olist-dev-artifacts-<account>-us-east-1/glue/csv_to_parquet-<sha>.py",
        "AirflowMwaaPolicy                  AWS::IAM::Policy  [if AirflowOnMwaa]",
    ):
        assert expected in out, expected


def test_plan_uses_the_names_from_the_settings(capsys, monkeypatch):
    monkeypatch.setenv("OLIST_GLUE_DATABASE", "olist_lake_stage")
    monkeypatch.setenv("OLIST_AWS_REGION", "eu-west-1")
    assert main(["infra", "plan", "--env", "stage"]) == 0
    out = capsys.readouterr().out
    assert "DatabaseInput.Name = olist_lake_stage" in out
    assert "olist-stage-lake-<account>-eu-west-1" in out


def test_a_bad_environment_name_is_refused(capsys):
    assert main(["infra", "plan", "--env", "Prod_1"]) == 2
    assert "--env 'Prod_1'" in capsys.readouterr().err


def test_deploy_without_credentials_says_what_to_do(capsys, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["infra", "deploy", "--env", "dev"]) == 2
    assert "no AWS credentials" in capsys.readouterr().err


def test_destroy_needs_confirmation(capsys, aws_env):
    assert main(["infra", "destroy", "--env", "dev"]) == 2
    assert "add --yes" in capsys.readouterr().err


def test_redshift_setup_dry_run_prints_statements_without_passwords(capsys):
    assert main(["infra", "redshift-setup", "--env", "dev", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "CREATE USER dbt_user PASSWORD 'md5********';" in out  # pragma: allowlist secret
    assert "CREATE EXTERNAL SCHEMA IF NOT EXISTS bronze_sim_ext" in out


@pytest.mark.parametrize("state", ["on", "off"])
def test_simulator_switch_needs_the_stack(capsys, aws_env, state):
    from moto import mock_aws

    with mock_aws():
        assert main(["infra", "simulator", state, "--env", "dev"]) == 2
    assert "olist-dw infra deploy --env dev" in capsys.readouterr().err
