"""The templates, read as CloudFormation reads them: the security properties the project promises."""

from __future__ import annotations

import re
from typing import Any

import pytest

from olist_dw.infra.templates import glue_columns_from_schema, load_order_event_schema
from olist_dw.settings import Settings


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def all_resources(templates) -> dict[str, dict[str, Any]]:
    return {f"{name}:{k}": r for name, t in templates.items() for k, r in t["Resources"].items()}


def walk(value: Any):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def policy_statements(templates) -> list[tuple[str, dict[str, Any]]]:
    """Every statement of every identity policy (inline, managed) in the templates."""
    found = []
    for name, resource in all_resources(templates).items():
        props = resource.get("Properties", {})
        documents = []
        if resource["Type"] == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in props.get("Policies", [])]
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            documents.append(props["PolicyDocument"])
        for document in documents:
            for statement in document["Statement"]:
                found.append((name, statement))
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------------------------------
# S3


def test_every_bucket_is_encrypted_private_versioned_and_tls_only(templates):
    buckets = {k: r for k, r in all_resources(templates).items() if r["Type"] == "AWS::S3::Bucket"}
    assert len(buckets) == 2  # artifacts + lake
    policies = [r for r in all_resources(templates).values() if r["Type"] == "AWS::S3::BucketPolicy"]
    for name, bucket in buckets.items():
        props = bucket["Properties"]
        rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms"), name
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
        assert props["VersioningConfiguration"]["Status"] == "Enabled", name
        assert props["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced", name
        logical_id = name.split(":")[1]
        tls_denials = [
            s
            for p in policies
            if p["Properties"]["Bucket"] == {"Ref": logical_id}
            for s in p["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert tls_denials, f"{name}: no TLS-only bucket policy"
        assert tls_denials[0]["Action"] == "s3:*" and tls_denials[0]["Principal"] == "*"


def test_lake_bucket_notifies_eventbridge_and_expires_what_is_disposable(main_template):
    lake = main_template["Resources"]["LakeBucket"]["Properties"]
    assert lake["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    rules = {r["Id"]: r for r in lake["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-quarantine"]["Prefix"] == "quarantine/"
    assert rules["expire-firehose-errors"]["Prefix"] == "firehose-errors/"
    assert "NoncurrentVersionExpiration" in rules["expire-noncurrent-versions"]
    # Nothing expires the data the warehouse is built from.
    for rule in rules.values():
        if "ExpirationInDays" in rule:
            assert rule.get("Prefix") in ("quarantine/", "firehose-errors/"), rule["Id"]


# --------------------------------------------------------------------------------------------------
# IAM

# Allow statements on Resource "*" that AWS offers no narrower form for; each must also carry a condition.
ALLOWED_STAR_RESOURCE_ACTIONS = {
    "logs:DescribeLogGroups",  # no resource-level permissions
    "s3:GetAccountPublicAccessBlock",  # an account-level check (MWAA): no resource-level permissions
    "cloudwatch:PutMetricData",  # no resource-level permissions (narrowed by cloudwatch:namespace)
    "redshift-data:DescribeStatement",  # statement ids, narrowed by statement-owner-iam-userid
    "redshift-data:GetStatementResult",
    "redshift-data:CancelStatement",
    "redshift-data:ListStatements",
    "glue:GetCrawlerMetrics",  # no resource-level permissions; returns crawl counts and timings only
}


def test_no_wildcard_actions_anywhere(templates):
    for name, statement in policy_statements(templates):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), f"{name}: wildcard action {action}"


UNCONDITIONABLE = {"logs:DescribeLogGroups", "s3:GetAccountPublicAccessBlock", "glue:GetCrawlerMetrics"}


def test_star_resources_only_where_aws_has_nothing_narrower(templates):
    for name, statement in policy_statements(templates):
        if statement["Effect"] != "Allow":
            continue
        if "NotResource" in statement:  # only MWAA's documented KMS-via-SQS form
            assert statement["Condition"]["StringLike"]["kms:ViaService"], name
            continue
        if "*" not in as_list(statement["Resource"]):
            continue
        actions = set(as_list(statement["Action"]))
        assert actions <= ALLOWED_STAR_RESOURCE_ACTIONS, f"{name}: {actions - ALLOWED_STAR_RESOURCE_ACTIONS} on *"
        if not actions <= UNCONDITIONABLE:
            assert statement.get("Condition"), f"{name}: {actions} on * without a narrowing condition"


def test_no_iam_users_or_access_keys_and_a_scoped_team_group(templates, main_template):
    types = {r["Type"] for r in all_resources(templates).values()}
    assert "AWS::IAM::User" not in types and "AWS::IAM::AccessKey" not in types
    group = main_template["Resources"]["TeamGroup"]["Properties"]
    assert group["ManagedPolicyArns"] == [{"Ref": "TeamPolicy"}]  # no AWS-managed (full access) policy
    for found in walk(main_template):
        if isinstance(found, str):
            assert "AdministratorAccess" not in found and "FullAccess" not in found


def test_one_role_per_service_with_source_conditions(main_template):
    roles = resources_of(main_template, "AWS::IAM::Role")
    principals = {}
    for name, role in roles.items():
        statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        if isinstance(statements, dict):  # Fn::If (Airflow on MWAA or Astro)
            continue
        principals[name] = statements[0]["Principal"]
    services = [p["Service"] for p in principals.values() if "Service" in p]
    assert {"lambda.amazonaws.com", "firehose.amazonaws.com", "scheduler.amazonaws.com"} <= {
        s for svc in services for s in as_list(svc)
    }
    assert {"GlueCrawlerRole", "GlueJobRole", "FirehoseRole", "OrderGeneratorRole", "SchedulerRole"} <= set(roles)
    assert "AirflowWorkerRole" in roles and "RedshiftRole" in roles


def test_airflow_worker_role_does_what_the_dags_need(main_template):
    policy = main_template["Resources"]["AirflowWorkerPolicy"]["Properties"]["PolicyDocument"]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert {"glue:StartCrawler", "glue:GetCrawler"} <= set(statements["RunCrawler"]["Action"])
    assert {"glue:StartJobRun", "glue:GetJobRun"} <= set(statements["RunJob"]["Action"])
    data_api = statements["RedshiftDataApiOnTheWorkgroup"]
    assert data_api["Resource"] == {"Fn::GetAtt": ["RedshiftWorkgroup", "Workgroup.WorkgroupArn"]}
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= set(statements["LandingQueue"]["Action"])
    assert statements["LandingQueue"]["Resource"] == {"Fn::GetAtt": ["SimLandedQueue", "Arn"]}
    secret = statements["AirflowConnectionsOfThisEnv"]
    assert secret["Action"][0] == "secretsmanager:GetSecretValue"
    assert "secret:olist/${EnvName}/airflow/*" in secret["Resource"]["Fn::Sub"]


def test_redshift_role_reads_only_the_lake_prefixes_and_the_catalog(main_template):
    statements = main_template["Resources"]["RedshiftRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert all(a.startswith(("s3:Get", "s3:List", "glue:Get", "glue:BatchGet")) for a in actions), actions
    prefixes = [r["Fn::Sub"] for r in statements[0]["Resource"]]
    assert prefixes == [f"${{LakeBucket.Arn}}/{p}/*" for p in ("bronze", "bronze-parquet", "bronze-sim")]


# --------------------------------------------------------------------------------------------------
# Redshift and network


def test_redshift_is_private_with_a_managed_admin_password(main_template):
    namespace = main_template["Resources"]["RedshiftNamespace"]["Properties"]
    assert namespace["ManageAdminPassword"] is True
    assert "AdminUserPassword" not in namespace
    workgroup = main_template["Resources"]["RedshiftWorkgroup"]["Properties"]
    assert workgroup["PubliclyAccessible"] is False
    assert len(workgroup["SubnetIds"]) == 3
    for subnet in workgroup["SubnetIds"]:
        assert main_template["Resources"][subnet["Ref"]]["Properties"]["MapPublicIpOnLaunch"] is False
    types = {r["Type"] for r in main_template["Resources"].values()}
    assert not types & {"AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP"}
    assert {"ParameterKey": "require_ssl", "ParameterValue": "true"} in workgroup["ConfigParameters"]


def test_security_group_never_opens_to_the_world(main_template):
    rules = [
        (name, rule)
        for name, group in resources_of(main_template, "AWS::EC2::SecurityGroup").items()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
    ]
    rules += [(n, r["Properties"]) for n, r in resources_of(main_template, "AWS::EC2::SecurityGroupIngress").items()]
    assert len(rules) == 2
    for name, rule in rules:
        assert rule["CidrIp"] != "0.0.0.0/0" and "CidrIpv6" not in rule, name
        assert rule["IpProtocol"] == "tcp" and rule["FromPort"] == rule["ToPort"] == 5439, name
        assert rule["CidrIp"] in ({"Ref": "VpcCidr"}, {"Ref": "RedshiftClientCidr"}), name
        assert rule["Description"], name
    extra = main_template["Resources"]["RedshiftClientIngress"]
    assert extra["Condition"] == "HasRedshiftClientCidr"
    assert extra["Properties"]["GroupId"] == {"Ref": "RedshiftSecurityGroup"}
    for group in resources_of(main_template, "AWS::EC2::SecurityGroup").values():
        egress = group["Properties"]["SecurityGroupEgress"]
        assert egress == [{"Description": "no outbound connections", "IpProtocol": "-1", "CidrIp": "127.0.0.1/32"}]


@pytest.mark.parametrize(
    ("cidr", "accepted"),
    [
        ("", True),
        ("10.8.0.0/16", True),
        ("172.20.0.0/16", True),
        ("192.168.1.0/24", True),
        ("0.0.0.0/0", False),
        ("10.0.0.0/4", False),
        ("8.8.8.0/24", False),
        ("172.32.0.0/16", False),
    ],
)
def test_the_extra_redshift_client_range_must_be_private(main_template, cidr, accepted):
    pattern = main_template["Parameters"]["RedshiftClientCidr"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, cidr)) is accepted


def test_user_passwords_are_generated_never_written(templates, main_template):
    for name, resource in all_resources(templates).items():
        if resource["Type"] == "AWS::SecretsManager::Secret":
            props = resource["Properties"]
            assert "SecretString" not in props, name
            generated = props["GenerateSecretString"]
            assert generated["GenerateStringKey"] == "password" and generated["PasswordLength"] >= 24
            for char in "'\"\\/@ ":
                assert char in generated["ExcludeCharacters"], f"{name}: Redshift refuses {char!r}"
    for found in walk(templates):
        if isinstance(found, dict):
            for key in found:
                assert key not in ("Password", "MasterUserPassword", "AdminUserPassword"), key
    dbt_secret = main_template["Resources"]["DbtUserSecret"]["Properties"]
    assert dbt_secret["Name"] == {"Fn::Sub": "olist/${EnvName}/airflow/connections/redshift_default"}


# --------------------------------------------------------------------------------------------------
# Data stores, stream, delivery, logs


def test_dynamodb_tables_on_demand_with_pitr_and_sse(main_template):
    tables = resources_of(main_template, "AWS::DynamoDB::Table")
    assert {t["Properties"]["TableName"]["Ref"] for t in tables.values()} == {
        "SimConfigTableName",
        "SimInventoryTableName",
    }
    for name, table in tables.items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name
        assert props["SSESpecification"]["SSEEnabled"] is True, name
    # Keys the simulation's DynamoDB store uses (plugins/olist_dw/sim/dynamodb_store.py).
    assert tables["SimConfigTable"]["Properties"]["KeySchema"] == [{"AttributeName": "config_id", "KeyType": "HASH"}]
    assert tables["SimInventoryTable"]["Properties"]["KeySchema"] == [
        {"AttributeName": "product_id", "KeyType": "HASH"}
    ]


def test_kinesis_keeps_24_hours_encrypted(main_template):
    stream = main_template["Resources"]["OrdersStream"]["Properties"]
    assert stream["RetentionPeriodHours"] == 24
    assert stream["StreamEncryption"]["EncryptionType"] == "KMS"


def test_firehose_converts_to_parquet_into_partitioned_bronze_sim(main_template):
    delivery = main_template["Resources"]["SimOrdersDelivery"]["Properties"]
    assert delivery["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] == {"Fn::GetAtt": ["OrdersStream", "Arn"]}
    s3 = delivery["ExtendedS3DestinationConfiguration"]
    assert s3["Prefix"].startswith("bronze-sim/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/")
    assert s3["ErrorOutputPrefix"].startswith("firehose-errors/")
    assert s3["BufferingHints"]["SizeInMBs"] >= 64  # AWS's minimum with format conversion
    assert main_template["Parameters"]["FirehoseBufferSeconds"]["Default"] == 60
    conversion = s3["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    assert conversion["SchemaConfiguration"]["TableName"] == {"Ref": "SimOrdersTable"}
    assert s3["CloudWatchLoggingOptions"]["Enabled"] is True


def test_every_log_group_has_retention_and_every_writer_logs_to_one(main_template):
    groups = resources_of(main_template, "AWS::Logs::LogGroup")
    assert len(groups) >= 4
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    function = main_template["Resources"]["OrderGeneratorFunction"]["Properties"]
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "OrderGeneratorLogGroup"}
    # A log group's Arn attribute already ends in ":*" (group and streams): anything appended matches nothing.
    for found in walk(main_template):
        if isinstance(found, dict) and "Fn::Sub" in found:
            text = found["Fn::Sub"] if isinstance(found["Fn::Sub"], str) else found["Fn::Sub"][0]
            for group in groups:
                assert f"${{{group}.Arn}}" not in text, f"{group}.Arn with a suffix: {text}"


def _sub_text(value: Any) -> str:
    return value["Fn::Sub"] if isinstance(value, dict) else value


def test_glue_5_job_logs_to_the_groups_the_stack_keeps_and_airflow_reads(main_template):
    """Glue 5.0 writes <prefix>/error and <prefix>/output, prefix from --custom-logGroup-prefix (default
    /aws-glue/jobs); the 4.0 continuous-logging arguments are ignored by 5.0
    (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html)."""
    resources = main_template["Resources"]
    job = resources["CsvToParquetJob"]["Properties"]
    assert job["GlueVersion"] == "5.0"
    arguments = job["DefaultArguments"]
    assert not [a for a in arguments if a.startswith(("--enable-continuous", "--continuous-log"))], arguments
    prefix = _sub_text(arguments["--custom-logGroup-prefix"])
    groups = {
        _sub_text(r["Properties"]["LogGroupName"]): logical_id
        for logical_id, r in resources_of(main_template, "AWS::Logs::LogGroup").items()
    }
    written = {groups[f"{prefix}/error"], groups[f"{prefix}/output"]}  # KeyError: a group the stack lacks
    for logical_id in written:
        assert resources[logical_id]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    arns = [{"Fn::GetAtt": [g, "Arn"]} for g in sorted(written)]
    job_role = resources["GlueJobRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    job_logs = next(s for s in job_role if s["Sid"] == "JobLogs")
    assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= set(job_logs["Action"])
    assert sorted(job_logs["Resource"], key=str) == sorted(arns, key=str)
    worker = resources["AirflowWorkerPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    reads = next(s for s in worker if s["Sid"] == "ReadGlueJobLogs")
    assert "logs:FilterLogEvents" in reads["Action"]  # what GlueJobHook.print_job_logs calls
    assert sorted(reads["Resource"], key=str) == sorted(arns, key=str)


def test_sqs_queue_accepts_only_the_bronze_sim_rule(main_template):
    rule = main_template["Resources"]["SimLandedRule"]["Properties"]
    assert rule["EventPattern"]["detail-type"] == ["Object Created"]
    assert rule["EventPattern"]["detail"]["object"]["key"] == [{"prefix": "bronze-sim/"}]
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["SimLandedQueue", "Arn"]}
    policy = main_template["Resources"]["SimLandedQueuePolicy"]["Properties"]["PolicyDocument"]
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    assert allows[0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert allows[0]["Action"] == "sqs:SendMessage"
    assert allows[0]["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["SimLandedRule", "Arn"]}}}
    queue = main_template["Resources"]["SimLandedQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["SimLandedDeadLetterQueue", "Arn"]}


def test_simulator_schedule_every_minute_switched_by_a_parameter(main_template):
    schedule = main_template["Resources"]["OrderGeneratorSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    assert schedule["State"] == {"Fn::If": ["SimulatorOn", "ENABLED", "DISABLED"]}
    assert main_template["Conditions"]["SimulatorOn"] == {"Fn::Equals": [{"Ref": "SimulatorEnabled"}, "true"]}
    function = main_template["Resources"]["OrderGeneratorFunction"]["Properties"]
    assert function["Timeout"] < 60 and function["Handler"] == "handler.handler"


# --------------------------------------------------------------------------------------------------
# Agreement with the code


def test_glue_table_columns_match_the_order_event_schema(main_template):
    table = main_template["Resources"]["SimOrdersTable"]["Properties"]["TableInput"]
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    expected = glue_columns_from_schema(load_order_event_schema())
    assert columns == expected, (
        "infra/olist.yaml SimOrdersTable columns differ from plugins/olist_dw/sim/order_event.schema.json; "
        "expected:\n" + "\n".join(f"            - {{Name: {n}, Type: {t!r}}}" for n, t in expected)
    )
    assert table["Name"] == "sim_orders"
    assert table["StorageDescriptor"]["Location"] == {"Fn::Sub": "s3://${LakeBucket}/bronze-sim/"}


def test_glue_type_derivation_reads_declared_storage_types():
    schema = {
        "properties": {
            "n": {"type": "integer"},
            "when": {"type": "string", "description": "Time (Parquet/Glue: timestamp)."},
            "amount": {"type": "number", "description": "Money (Parquet/Glue: decimal(12,2))."},
            "tags": {"type": "array", "items": {"type": ["string", "null"]}},
            "x": {"type": "number"},
        }
    }
    assert glue_columns_from_schema(schema) == [
        ("n", "int"),
        ("when", "timestamp"),
        ("amount", "decimal(12,2)"),
        ("tags", "array<string>"),
        ("x", "double"),
    ]


def test_name_parameters_default_to_the_settings_defaults(main_template):
    defaults = Settings()
    params = main_template["Parameters"]
    assert params["GlueDatabaseName"]["Default"] == defaults.glue_database
    assert params["GlueCrawlerName"]["Default"] == defaults.glue_crawler
    assert params["GlueJobName"]["Default"] == defaults.glue_job
    assert params["KinesisStreamName"]["Default"] == defaults.kinesis_stream
    assert params["SimConfigTableName"]["Default"] == defaults.sim_config_table
    assert params["SimInventoryTableName"]["Default"] == defaults.sim_inventory_table
    assert params["RedshiftDatabaseName"]["Default"] == defaults.redshift_database
    assert params["RedshiftWorkgroupName"]["Default"] == defaults.redshift_workgroup


def test_lambda_environment_names_are_settings(main_template):
    variables = main_template["Resources"]["OrderGeneratorFunction"]["Properties"]["Environment"]["Variables"]
    fields = set(Settings.model_fields)
    for name in variables:
        assert name.startswith("OLIST_") and name.removeprefix("OLIST_").lower() in fields, name
    assert variables["OLIST_TARGET"] == "aws"


def test_glue_job_runs_the_project_script_with_the_lake_paths(main_template):
    job = main_template["Resources"]["CsvToParquetJob"]["Properties"]
    assert job["Command"]["ScriptLocation"] == {"Fn::Sub": "s3://${ArtifactsBucketName}/${GlueScriptKey}"}
    assert job["DefaultArguments"]["--source_path"] == {"Fn::Sub": "s3://${LakeBucket}/bronze/"}
    assert job["DefaultArguments"]["--target_path"] == {"Fn::Sub": "s3://${LakeBucket}/bronze-parquet/"}
    # the source contract the script reads, copied by Glue into the driver's working directory
    assert job["DefaultArguments"]["--extra-files"] == {"Fn::Sub": "s3://${ArtifactsBucketName}/${GlueContractKey}"}


def test_deploy_uploads_the_contract_under_its_own_file_name():
    from olist_dw.infra.deploy import GLUE_CONTRACT, contract_key

    key = contract_key(GLUE_CONTRACT)
    assert key.startswith("glue/contract-") and key.endswith("/olist_sources.json")  # the name the script opens


def test_every_scanner_skip_is_justified(templates):
    for name, resource in all_resources(templates).items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
            assert len(skip.get("comment", "").split()) >= 6, f"{name}: skip {skip['id']} needs a reason"


def test_airflow_platform_defaults_to_the_supported_astro(main_template):
    """MWAA is documented as not supported yet (docs/deploy-aws.md): a deploy that names no platform gets Astro,
    whose rule then asks for the deployment's role before anything is created."""
    platform = main_template["Parameters"]["AirflowPlatform"]
    assert platform["Default"] == "astro" and "astro" in platform["AllowedValues"]
    rule = main_template["Rules"]["AstroNeedsItsRole"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "AirflowPlatform"}, "astro"]}
