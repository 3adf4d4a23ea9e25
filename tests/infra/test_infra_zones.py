"""Redshift Serverless subnets are placed by Availability Zone ID (a parameter with a checked default), never by
the account's first AZ names: names map to different zones per account, and not every zone ID is supported."""

from __future__ import annotations

import re

import boto3
import pytest
from moto import mock_aws

from olist_dw.errors import UserFacingError
from olist_dw.infra import deploy as deploy_module
from olist_dw.infra.deploy import (
    ZONE_IDS_PARAMETER,
    Environment,
    check_redshift_zone_ids,
    redshift_zone_ids,
    stack_status,
)
from olist_dw.infra.plan import plan_lines
from olist_dw.settings import Settings

SUBNETS = ("PrivateSubnetA", "PrivateSubnetB", "PrivateSubnetC")


def test_subnets_take_their_zone_ids_from_the_parameter(main_template):
    assert "Fn::GetAZs" not in str(main_template), "a subnet still picks the account's first AZ names"
    for index, logical_id in enumerate(SUBNETS):
        properties = main_template["Resources"][logical_id]["Properties"]
        assert "AvailabilityZone" not in properties, logical_id
        assert properties["AvailabilityZoneId"] == {"Fn::Select": [index, {"Ref": ZONE_IDS_PARAMETER}]}
    workgroup = main_template["Resources"]["RedshiftWorkgroup"]["Properties"]
    assert workgroup["SubnetIds"] == [{"Ref": s} for s in SUBNETS]


def test_the_default_is_three_different_zone_ids_and_other_regions_must_set_theirs(main_template):
    parameter = main_template["Parameters"][ZONE_IDS_PARAMETER]
    assert parameter["Type"] == "CommaDelimitedList"
    default = parameter["Default"].split(",")
    assert len(set(default)) == 3
    assert all(re.fullmatch(parameter["AllowedPattern"], zone) for zone in default)
    assert not re.fullmatch(parameter["AllowedPattern"], "us-east-1a"), "an AZ name must be refused"
    rule = main_template["Rules"]["ZoneIdsOfTheRegion"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}]}
    [assertion] = rule["Assertions"]
    each_member_in = assertion["Assert"]["Fn::Not"][0]["Fn::EachMemberIn"]
    assert each_member_in[0] == {"Ref": ZONE_IDS_PARAMETER} and set(default) <= set(each_member_in[1])


def test_deploy_checks_the_zone_ids_against_the_region(aws_env):
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        check_redshift_zone_ids(ec2, "us-east-1", redshift_zone_ids(None))  # the template's default
        check_redshift_zone_ids(
            ec2, "us-east-1", redshift_zone_ids({ZONE_IDS_PARAMETER: "use1-az6, use1-az5,use1-az1"})
        )
        with pytest.raises(UserFacingError, match=r"euw1-az1 is not an available Availability Zone ID of us-east-1"):
            check_redshift_zone_ids(ec2, "us-east-1", ["use1-az1", "use1-az2", "euw1-az1"])
        with pytest.raises(UserFacingError, match="three different"):
            check_redshift_zone_ids(ec2, "us-east-1", ["use1-az1", "use1-az2"])
        with pytest.raises(UserFacingError, match="three different"):
            check_redshift_zone_ids(ec2, "us-east-1", ["use1-az1", "use1-az1", "use1-az2"])
        # The default names us-east-1 zones: in another region the error lists that region's zone IDs.
        west = boto3.client("ec2", region_name="eu-west-1")
        with pytest.raises(UserFacingError, match=r"of eu-west-1 \(its zone IDs: euw1-az"):
            check_redshift_zone_ids(west, "eu-west-1", redshift_zone_ids(None))


def test_deploy_refuses_bad_zone_ids_before_creating_anything(aws_env):
    env = Environment("test", Settings())
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        with pytest.raises(UserFacingError, match=ZONE_IDS_PARAMETER):
            deploy_module.deploy(env, session, echo=lambda _: None, overrides={ZONE_IDS_PARAMETER: "use1-az1,x-az9"})
        assert stack_status(session.client("cloudformation"), env.bootstrap_stack) is None


def test_plan_shows_the_zone_ids_and_warns_outside_their_region():
    lines = plan_lines(Environment("dev", Settings(aws_region="us-east-1")))
    zones = [line.split("=")[1].strip() for line in lines if line.strip().startswith("AvailabilityZoneId =")]
    assert zones == ["use1-az1", "use1-az2", "use1-az4"]
    assert not any(line.startswith("note:") for line in lines)
    elsewhere = plan_lines(Environment("dev", Settings(aws_region="eu-west-1")))
    assert any(line.startswith("note:") and f"--param {ZONE_IDS_PARAMETER}=" in line for line in elsewhere)
