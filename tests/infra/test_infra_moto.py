"""Deploy what moto's CloudFormation supports from the real templates, and run deploy/destroy code against it.

moto implements a subset of resource types (S3 buckets, DynamoDB, Kinesis, SQS, IAM roles and policies,
Lambda, EventBridge rules, log groups, VPC pieces); Glue, Firehose, Scheduler, Redshift Serverless, Secrets
Manager secrets and bucket/queue policies are left out by tests/infra/conftest.py::moto_template. Their
properties are asserted on the templates (test_templates.py). moto does not apply bucket versioning or public
access blocks from CloudFormation either: those are asserted there too.
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from olist_dw.infra import deploy as deploy_module
from olist_dw.infra.deploy import Environment, apply_change_set, destroy, stack_outputs
from olist_dw.settings import Settings

pytestmark = pytest.mark.aws
REGION = "us-east-1"


@pytest.fixture
def moto_stacks(aws_env, main_template, bootstrap_template, lambda_package, moto_template, request):
    """Both stacks of environment 'test' deployed into moto, the Lambda zip uploaded first (as deploy does)."""
    exclude_types = getattr(request, "param", ())
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(
            StackName="olist-test-bootstrap",
            TemplateBody=json.dumps(moto_template(bootstrap_template, {"EnvName": "test"})[0]),
            Parameters=[{"ParameterKey": "EnvName", "ParameterValue": "test"}],
        )
        artifacts = stack_outputs(cfn, "olist-test-bootstrap")["ArtifactsBucketName"]
        boto3.client("s3", region_name=REGION).upload_file(str(lambda_package.path), artifacts, lambda_package.s3_key)
        parameters = {"EnvName": "test", "ArtifactsBucketName": artifacts, "LambdaCodeKey": lambda_package.s3_key}
        body, left_out = moto_template(main_template, parameters, exclude_types)
        cfn.create_stack(
            StackName="olist-test",
            TemplateBody=json.dumps(body),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
        yield cfn, stack_outputs(cfn, "olist-test"), left_out


def test_supported_resources_are_created_as_specified(moto_stacks):
    cfn, outputs, left_out = moto_stacks
    stack = cfn.describe_stacks(StackName="olist-test")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    created = cfn.list_stack_resources(StackName="olist-test")["StackResourceSummaries"]
    assert len(created) >= 30 and all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in created)
    assert "LakeBucket" not in left_out and "OrderGeneratorFunction" not in left_out

    s3 = boto3.client("s3", region_name=REGION)
    lake = outputs["LakeBucketName"]
    assert lake == "olist-test-lake-123456789012-us-east-1"
    encryption = s3.get_bucket_encryption(Bucket=lake)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for name, key in (("Sim_Config", "config_id"), ("Sim_Inventory", "product_id")):
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == [{"AttributeName": key, "KeyType": "HASH"}]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    stream = boto3.client("kinesis", region_name=REGION).describe_stream_summary(StreamName="olist-orders")
    assert stream["StreamDescriptionSummary"]["RetentionPeriodHours"] == 24

    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.get_queue_attributes(QueueUrl=outputs["SqsQueueUrl"], AttributeNames=["All"])["Attributes"]
    assert json.loads(queue["RedrivePolicy"])["deadLetterTargetArn"].endswith("olist-test-bronze-sim-landed-dlq")

    rules = boto3.client("events", region_name=REGION).list_rules()["Rules"]
    pattern = json.loads(next(r for r in rules if r["Name"] == "olist-test-bronze-sim-landed")["EventPattern"])
    assert pattern["detail"] == {"bucket": {"name": [lake]}, "object": {"key": [{"prefix": "bronze-sim/"}]}}

    groups = boto3.client("logs", region_name=REGION).describe_log_groups(logGroupNamePrefix="/olist/test/")
    assert {g["logGroupName"]: g["retentionInDays"] for g in groups["logGroups"]} == {
        "/olist/test/firehose-sim-orders": 365,
        "/olist/test/glue-jobs/error": 365,
        "/olist/test/glue-jobs/output": 365,
        "/olist/test/order-generator": 365,
        "/olist/test/vpc-flow-logs": 365,
    }

    function = boto3.client("lambda", region_name=REGION).get_function(FunctionName="olist-test-order-generator")
    config = function["Configuration"]
    assert (config["Runtime"], config["Handler"]) == ("python3.11", "handler.handler")
    assert config["Environment"]["Variables"]["OLIST_KINESIS_STREAM"] == "olist-orders"

    iam = boto3.client("iam")
    role_names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    for logical_id in ("RedshiftRole", "AirflowWorkerRole", "OrderGeneratorRole", "FirehoseRole", "GlueJobRole"):
        assert any(f"-{logical_id}-" in name for name in role_names), logical_id
    assert outputs["AirflowWorkerRoleArn"].startswith("arn:aws:iam::123456789012:role/")


def test_change_sets_are_idempotent(aws_env, bootstrap_template, moto_template):
    """deploy's change-set step: the first run creates, a second identical run reports no changes."""
    echoed: list[str] = []
    body = json.dumps(moto_template(bootstrap_template, {"EnvName": "test"})[0])
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name=REGION)
        assert apply_change_set(cfn, "olist-test-bootstrap", {"EnvName": "test"}, echoed.append, template_body=body)
        assert cfn.describe_stacks(StackName="olist-test-bootstrap")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        again = apply_change_set(cfn, "olist-test-bootstrap", {"EnvName": "test"}, echoed.append, template_body=body)
    assert again is False
    assert "olist-test-bootstrap: no changes" in echoed
    assert any(line.strip().startswith("Add") and "ArtifactsBucket" in line for line in echoed)


# moto deletes a stack's resources in no dependency order (the VPC before its subnets): leave the network out.
NETWORK_TYPES = tuple(
    f"AWS::EC2::{t}" for t in ("VPC", "Subnet", "RouteTable", "SubnetRouteTableAssociation", "VPCEndpoint", "FlowLog")
) + ("AWS::EC2::SecurityGroup",)


@pytest.mark.parametrize("moto_stacks", [NETWORK_TYPES], indirect=True)
def test_destroy_empties_versioned_buckets_and_deletes_both_stacks(moto_stacks):
    cfn, outputs, _ = moto_stacks
    s3 = boto3.client("s3", region_name=REGION)
    lake = outputs["LakeBucketName"]
    s3.put_bucket_versioning(Bucket=lake, VersioningConfiguration={"Status": "Enabled"})
    for version in (b"v1", b"v2"):
        s3.put_object(Bucket=lake, Key="bronze/orders/olist_orders_dataset.csv", Body=version)
    echoed: list[str] = []
    env = Environment("test", Settings())
    destroy(env, boto3.Session(region_name=REGION), echoed.append)
    assert deploy_module.stack_status(cfn, "olist-test") in (None, "DELETE_COMPLETE")
    assert deploy_module.stack_status(cfn, "olist-test-bootstrap") in (None, "DELETE_COMPLETE")
    assert f"emptied s3://{lake} (all versions)" in echoed
    assert echoed[-1] == "environment test removed"


def test_airflow_values_name_every_setting_and_no_secret(moto_stacks):
    _, outputs, _ = moto_stacks
    lines = deploy_module.airflow_values(Environment("test", Settings()), outputs)
    values = dict(line.split("=", 1) for line in lines if line.startswith("OLIST_"))
    fields = set(Settings.model_fields)
    assert all(name.removeprefix("OLIST_").lower() in fields for name in values)
    assert values["OLIST_S3_BUCKET"] == outputs["LakeBucketName"]
    assert values["OLIST_SQS_QUEUE_URL"] == outputs["SqsQueueUrl"]
    assert values["OLIST_REDSHIFT_IAM_ROLE_ARN"] == outputs["RedshiftIamRoleArn"]
    text = "\n".join(lines)
    assert "SecretsManagerBackend" in text and "olist/test/airflow/connections" in text
    assert '"password": "<from the secret>"' in text
