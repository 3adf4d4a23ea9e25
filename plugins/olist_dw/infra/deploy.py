"""Deploy, update and tear down the AWS stacks of one environment with CloudFormation change sets.

deploy:  bootstrap stack (artifacts bucket) -> upload the Glue script, the Lambda zip and the main template
         (content-addressed keys) -> change set on the main stack -> execute -> outputs -> Redshift setup.
         A second run with nothing changed creates no change (CloudFormation reports "no changes").
destroy: empties the two buckets (every version), force-deletes the two generated secrets (their names are
         fixed, so a later deploy can reuse them), deletes the main stack, then the bootstrap stack.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from olist_dw.contract import CONTRACT_FILE
from olist_dw.errors import UserFacingError
from olist_dw.infra.templates import BOOTSTRAP_TEMPLATE, MAIN_TEMPLATE, load_template
from olist_dw.settings import PROJECT_ROOT, Settings

GLUE_SCRIPT = PROJECT_ROOT / "include" / "glue" / "csv_to_parquet.py"
GLUE_CONTRACT = CONTRACT_FILE  # read by the Glue script from its working directory (--extra-files)
CAPABILITIES = ["CAPABILITY_IAM"]  # roles and policies with generated names only (no CAPABILITY_NAMED_IAM)
NO_CHANGE_REASONS = ("didn't contain changes", "No updates are to be performed")
Echo = Callable[[str], None]


@dataclass(frozen=True)
class Environment:
    name: str
    settings: Settings

    @property
    def bootstrap_stack(self) -> str:
        return f"olist-{self.name}-bootstrap"

    @property
    def main_stack(self) -> str:
        return f"olist-{self.name}"

    @property
    def region(self) -> str:
        return self.settings.aws_region


def validate_env_name(name: str) -> str:
    import re

    if not re.fullmatch(r"[a-z][a-z0-9-]{1,11}", name):
        raise UserFacingError(
            f"--env {name!r}: use 2-12 characters, lower-case letters, digits and '-', starting with a letter"
        )
    return name


def main_parameters(
    env: Environment, artifacts_bucket: str, glue_key: str, lambda_key: str, glue_contract_key: str
) -> dict[str, str]:
    """Parameters of infra/olist.yaml: the names the code reads come from the OLIST_* settings."""
    s = env.settings
    return {
        "EnvName": env.name,
        "ArtifactsBucketName": artifacts_bucket,
        "GlueScriptKey": glue_key,
        "GlueContractKey": glue_contract_key,
        "LambdaCodeKey": lambda_key,
        "GlueDatabaseName": s.glue_database,
        "GlueCrawlerName": s.glue_crawler,
        "GlueJobName": s.glue_job,
        "KinesisStreamName": s.kinesis_stream,
        "SimConfigTableName": s.sim_config_table,
        "SimInventoryTableName": s.sim_inventory_table,
        "RedshiftDatabaseName": s.redshift_database,
        "RedshiftWorkgroupName": s.redshift_workgroup,
    }


ZONE_IDS_PARAMETER = "RedshiftAvailabilityZoneIds"
ZONE_IDS_DEFAULT_REGION = "us-east-1"  # the region of the template's default zone IDs (and of OLIST_AWS_REGION's)


def redshift_zone_ids(overrides: dict[str, str] | None) -> list[str]:
    """The zone IDs a deploy will use: --param RedshiftAvailabilityZoneIds=..., else the template's default."""
    value = (overrides or {}).get(ZONE_IDS_PARAMETER)
    if value is None:
        value = str(load_template(MAIN_TEMPLATE)["Parameters"][ZONE_IDS_PARAMETER]["Default"])
    return [zone.strip() for zone in value.split(",") if zone.strip()]


def check_redshift_zone_ids(ec2, region: str, zone_ids: list[str]) -> None:
    """Three different, available Availability Zone IDs of the region, or a UserFacingError naming the parameter,
    the wrong IDs and the region's own (Redshift Serverless needs subnets in three AZs)."""
    shown = ",".join(zone_ids)
    if len(zone_ids) != 3 or len(set(zone_ids)) != 3:
        raise UserFacingError(
            f"{ZONE_IDS_PARAMETER}={shown}: name three different Availability Zone IDs "
            "(Redshift Serverless needs subnets in three AZs)"
        )
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    available = sorted(
        z["ZoneId"]
        for z in zones
        if z.get("State", "available") == "available" and z.get("ZoneType", "availability-zone") == "availability-zone"
    )
    unknown = [zone for zone in zone_ids if zone not in available]
    if unknown:
        raise UserFacingError(
            f"{ZONE_IDS_PARAMETER}={shown}: {', '.join(unknown)} is not an available Availability Zone ID of "
            f"{region} (its zone IDs: {', '.join(available) or 'none'}); pass three that Redshift Serverless "
            f"supports: olist-dw infra deploy --param {ZONE_IDS_PARAMETER}=ID1,ID2,ID3"
        )


def content_key(prefix: str, path: Path, suffix: str) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"{prefix}-{digest}{suffix}"


def contract_key(path: Path) -> str:
    """The contract's key: the content hash names the folder, because --extra-files keeps the file name
    and the Glue script opens olist_sources.json."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"glue/contract-{digest}/{path.name}"


# --------------------------------------------------------------------------------------------------
# CloudFormation helpers


def stack_status(cfn, stack_name: str) -> str | None:
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except cfn.exceptions.ClientError as err:
        if "does not exist" in str(err):
            return None
        raise
    return stacks[0]["StackStatus"] if stacks else None


def stack_outputs(cfn, stack_name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _failure_reasons(cfn, stack_name: str, limit: int = 8) -> str:
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    failed = [
        f"  {e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason', '')}"
        for e in events
        if e["ResourceStatus"].endswith("FAILED")
    ]
    return "\n".join(failed[:limit]) or "  (no failed resource events)"


def apply_change_set(
    cfn,
    stack_name: str,
    parameters: dict[str, str] | list[dict[str, Any]],
    echo: Echo,
    template_body: str | None = None,
    template_url: str | None = None,
    use_previous_template: bool = False,
) -> bool:
    """Create a change set, show it, execute it and wait. Returns False when there was nothing to change."""
    status = stack_status(cfn, stack_name)
    if status == "ROLLBACK_COMPLETE":
        raise UserFacingError(
            f"stack {stack_name} failed to create earlier and must be deleted first: "
            f"`aws cloudformation delete-stack --stack-name {stack_name}` (or `olist-dw infra destroy`)"
        )
    if status and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise UserFacingError(f"stack {stack_name} is busy ({status}); wait for it to finish and retry")
    change_set_type = "CREATE" if status in (None, "REVIEW_IN_PROGRESS") else "UPDATE"
    if isinstance(parameters, dict):
        parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]
    kwargs: dict[str, Any] = {
        "StackName": stack_name,
        "ChangeSetName": f"olist-{time.strftime('%Y%m%d-%H%M%S')}",
        "ChangeSetType": change_set_type,
        "Parameters": parameters,
        "Capabilities": CAPABILITIES,
        "Tags": [{"Key": "project", "Value": "olist-dw"}],
    }
    if template_body is not None:
        kwargs["TemplateBody"] = template_body
    elif template_url is not None:
        kwargs["TemplateURL"] = template_url
    elif use_previous_template:
        kwargs["UsePreviousTemplate"] = True
    try:
        change_set_id = cfn.create_change_set(**kwargs)["Id"]
    except cfn.exceptions.ClientError as err:
        if any(text in str(err) for text in NO_CHANGE_REASONS):  # some endpoints refuse at once
            echo(f"{stack_name}: no changes")
            return False
        raise UserFacingError(f"{stack_name}: CloudFormation refused the change set: {err}") from None
    try:
        cfn.get_waiter("change_set_create_complete").wait(
            ChangeSetName=change_set_id, WaiterConfig={"Delay": 5, "MaxAttempts": 120}
        )
    except Exception:  # the waiter fails on FAILED, which is also how "no changes" is reported
        described = cfn.describe_change_set(ChangeSetName=change_set_id)
        reason = described.get("StatusReason", "")
        if any(text in reason for text in NO_CHANGE_REASONS):
            cfn.delete_change_set(ChangeSetName=change_set_id)
            echo(f"{stack_name}: no changes")
            return False
        raise UserFacingError(f"{stack_name}: change set failed: {reason}") from None
    described = cfn.describe_change_set(ChangeSetName=change_set_id)
    echo(f"{stack_name}: {change_set_type.lower()} with {len(described.get('Changes', []))} change(s)")
    for change in described.get("Changes", []):
        rc = change["ResourceChange"]
        replacement = " (replacement)" if rc.get("Replacement") == "True" else ""
        echo(f"  {rc['Action']:<7} {rc['LogicalResourceId']:<34} {rc['ResourceType']}{replacement}")
    cfn.execute_change_set(ChangeSetName=change_set_id)
    waiter = "stack_create_complete" if change_set_type == "CREATE" else "stack_update_complete"
    echo(f"{stack_name}: waiting for CloudFormation (Redshift Serverless takes several minutes on create)...")
    try:
        cfn.get_waiter(waiter).wait(StackName=stack_name, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    except Exception:
        raise UserFacingError(
            f"{stack_name}: deployment failed ({stack_status(cfn, stack_name)}):\n{_failure_reasons(cfn, stack_name)}"
        ) from None
    return True


# --------------------------------------------------------------------------------------------------
# Commands


def deploy(
    env: Environment,
    session,
    echo: Echo = print,
    run_redshift_setup: bool = True,
    overrides: dict[str, str] | None = None,
) -> dict[str, str]:
    """Deploy or update; `overrides` sets other template parameters (e.g. AirflowPlatform=astro)."""
    from olist_dw.infra import lambda_package

    cfn = session.client("cloudformation", region_name=env.region)
    s3 = session.client("s3", region_name=env.region)
    account = session.client("sts", region_name=env.region).get_caller_identity()["Account"]
    echo(f"account {account}, region {env.region}, environment {env.name}")
    if ZONE_IDS_PARAMETER in (overrides or {}) or stack_status(cfn, env.main_stack) in (None, "REVIEW_IN_PROGRESS"):
        # Before anything is created; an update without the parameter keeps the stack's checked zones.
        zone_ids = redshift_zone_ids(overrides)
        check_redshift_zone_ids(session.client("ec2", region_name=env.region), env.region, zone_ids)
        echo(f"Redshift subnets in zones {', '.join(zone_ids)}")

    apply_change_set(
        cfn,
        env.bootstrap_stack,
        {"EnvName": env.name},
        echo,
        template_body=BOOTSTRAP_TEMPLATE.read_text(encoding="utf-8"),
    )
    artifacts = stack_outputs(cfn, env.bootstrap_stack)["ArtifactsBucketName"]

    if not GLUE_SCRIPT.is_file():
        raise UserFacingError(f"{GLUE_SCRIPT} is missing (the Glue job's script)")
    glue_key = content_key("glue/csv_to_parquet", GLUE_SCRIPT, ".py")
    glue_contract_key = contract_key(GLUE_CONTRACT)
    package = lambda_package.build(PROJECT_ROOT / "build" / "lambda")
    template_key = content_key("templates/olist", MAIN_TEMPLATE, ".yaml")
    uploads = (
        (GLUE_SCRIPT, glue_key),
        (GLUE_CONTRACT, glue_contract_key),
        (package.path, package.s3_key),
        (MAIN_TEMPLATE, template_key),
    )
    for path, key in uploads:
        s3.upload_file(str(path), artifacts, key)
        echo(f"uploaded s3://{artifacts}/{key}")

    template_url = f"https://{artifacts}.s3.{env.region}.amazonaws.com/{template_key}"
    ours = {**main_parameters(env, artifacts, glue_key, package.s3_key, glue_contract_key), **(overrides or {})}
    parameters: dict[str, str] | list[dict[str, Any]] = ours
    if stack_status(cfn, env.main_stack) not in (None, "REVIEW_IN_PROGRESS"):
        # Keep switches the user set since (simulator on/off, sizes): only names and artifacts are ours.
        parameters = _keep_previous(cfn, env.main_stack, ours)
    apply_change_set(cfn, env.main_stack, parameters, echo, template_url=template_url)
    outputs = stack_outputs(cfn, env.main_stack)
    if run_redshift_setup:
        redshift_setup(env, session, echo, outputs=outputs)
    echo(f"\n# --- outputs of {env.main_stack} ---")
    for key, value in sorted(outputs.items()):
        echo(f"{key:28} {value}")
    for line in airflow_values(env, outputs):
        echo(line)
    return outputs


def _keep_previous(cfn, stack_name: str, ours: dict[str, str]) -> list[dict[str, Any]]:
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    previous = {p["ParameterKey"] for p in stack.get("Parameters", [])}
    previous &= set(load_template(MAIN_TEMPLATE).get("Parameters", {}))  # a parameter removed since is dropped
    merged: list[dict[str, Any]] = [{"ParameterKey": k, "ParameterValue": v} for k, v in ours.items()]
    merged += [{"ParameterKey": k, "UsePreviousValue": True} for k in sorted(previous - set(ours))]
    return merged


def set_simulator(env: Environment, session, enabled: bool, echo: Echo = print) -> None:
    """Switch the order generator's schedule on or off (a stack update of one parameter)."""
    cfn = session.client("cloudformation", region_name=env.region)
    if stack_status(cfn, env.main_stack) is None:
        raise UserFacingError(f"stack {env.main_stack} does not exist: run `olist-dw infra deploy --env {env.name}`")
    stack = cfn.describe_stacks(StackName=env.main_stack)["Stacks"][0]
    parameters = [
        {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
        for p in stack.get("Parameters", [])
        if p["ParameterKey"] != "SimulatorEnabled"
    ]
    parameters.append({"ParameterKey": "SimulatorEnabled", "ParameterValue": "true" if enabled else "false"})
    apply_change_set(cfn, env.main_stack, parameters, echo, use_previous_template=True)
    echo(f"simulator {'on: one tick per minute' if enabled else 'off'}")


def redshift_setup(
    env: Environment, session, echo: Echo = print, outputs: dict[str, str] | None = None, executor=None
) -> None:
    from olist_dw.infra.redshift_setup import DataApiExecutor, SetupInputs, read_secret_passwords, run_setup

    cfn = session.client("cloudformation", region_name=env.region)
    outputs = outputs or stack_outputs(cfn, env.main_stack)
    namespace = session.client("redshift-serverless", region_name=env.region).get_namespace(
        namespaceName=outputs["RedshiftNamespaceName"]
    )["namespace"]
    admin_secret = namespace.get("adminPasswordSecretArn")
    if not admin_secret:
        raise UserFacingError(f"namespace {outputs['RedshiftNamespaceName']} has no managed admin secret")
    passwords = read_secret_passwords(
        session.client("secretsmanager", region_name=env.region),
        {"dbt_user": outputs["DbtUserSecretArn"], "bi_analyst": outputs["BiAnalystSecretArn"]},
    )
    inputs = SetupInputs(
        database=outputs["RedshiftDatabaseName"],
        glue_database=outputs["GlueDatabaseName"],
        redshift_role_arn=outputs["RedshiftIamRoleArn"],
        passwords=passwords,
    )
    executor = executor or DataApiExecutor(
        workgroup=outputs["RedshiftWorkgroupName"],
        database=outputs["RedshiftDatabaseName"],
        secret_arn=admin_secret,
        region=env.region,
    )
    echo(f"Redshift setup on workgroup {outputs['RedshiftWorkgroupName']} (Data API, admin secret):")
    run_setup(executor, inputs, echo)
    echo("Redshift setup done: bronze_sim_ext, dbt_user (writer), bi_analyst (read-only)")


def destroy(env: Environment, session, echo: Echo = print) -> None:
    cfn = session.client("cloudformation", region_name=env.region)
    s3 = session.resource("s3", region_name=env.region)
    secrets = session.client("secretsmanager", region_name=env.region)
    if stack_status(cfn, env.main_stack) is not None:
        outputs = stack_outputs(cfn, env.main_stack)
        if "LakeBucketName" in outputs:
            _empty_bucket(s3, outputs["LakeBucketName"], echo)
        for key in ("DbtUserSecretArn", "BiAnalystSecretArn"):
            if key in outputs:
                # Fixed names (the Airflow secrets backend looks them up): delete now, not in 30 days.
                try:
                    secrets.delete_secret(SecretId=outputs[key], ForceDeleteWithoutRecovery=True)
                except secrets.exceptions.ResourceNotFoundException:
                    continue
                echo(f"deleted secret {outputs[key]}")
        _delete_stack(cfn, env.main_stack, echo)
    if stack_status(cfn, env.bootstrap_stack) is not None:
        outputs = stack_outputs(cfn, env.bootstrap_stack)
        if "ArtifactsBucketName" in outputs:
            _empty_bucket(s3, outputs["ArtifactsBucketName"], echo)
        _delete_stack(cfn, env.bootstrap_stack, echo)
    echo(f"environment {env.name} removed")


def _empty_bucket(s3, bucket_name: str, echo: Echo) -> None:
    bucket = s3.Bucket(bucket_name)
    try:
        bucket.object_versions.delete()
    except s3.meta.client.exceptions.NoSuchBucket:
        return
    echo(f"emptied s3://{bucket_name} (all versions)")


def _delete_stack(cfn, stack_name: str, echo: Echo) -> None:
    echo(f"{stack_name}: deleting...")
    cfn.delete_stack(StackName=stack_name)
    try:
        cfn.get_waiter("stack_delete_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 15, "MaxAttempts": 240}
        )
    except Exception:
        raise UserFacingError(f"{stack_name}: delete failed:\n{_failure_reasons(cfn, stack_name)}") from None
    echo(f"{stack_name}: deleted")


# --------------------------------------------------------------------------------------------------
# What to set in Airflow (printed by deploy and `olist-dw infra outputs`)


def airflow_values(env: Environment, outputs: dict[str, str]) -> list[str]:
    """OLIST_* variables and the Airflow connection/secrets-backend settings. No secret values."""
    region = env.region
    olist = {
        "OLIST_TARGET": "aws",
        "OLIST_AWS_REGION": region,
        "OLIST_S3_BUCKET": outputs.get("LakeBucketName", ""),
        "OLIST_GLUE_DATABASE": outputs.get("GlueDatabaseName", ""),
        "OLIST_GLUE_CRAWLER": outputs.get("GlueCrawlerName", ""),
        "OLIST_GLUE_JOB": outputs.get("GlueJobName", ""),
        "OLIST_KINESIS_STREAM": outputs.get("KinesisStreamName", ""),
        "OLIST_SIM_CONFIG_TABLE": outputs.get("SimConfigTableName", ""),
        "OLIST_SIM_INVENTORY_TABLE": outputs.get("SimInventoryTableName", ""),
        "OLIST_SQS_QUEUE_URL": outputs.get("SqsQueueUrl", ""),
        "OLIST_REDSHIFT_IAM_ROLE_ARN": outputs.get("RedshiftIamRoleArn", ""),
        "OLIST_REDSHIFT_DATABASE": outputs.get("RedshiftDatabaseName", ""),
        "OLIST_REDSHIFT_WORKGROUP": outputs.get("RedshiftWorkgroupName", ""),
    }
    backend_kwargs = {
        "connections_prefix": outputs.get("AirflowConnectionsPrefix", f"olist/{env.name}/airflow/connections"),
        "variables_prefix": None,
        "config_prefix": None,
        "region_name": region,
    }
    aws_conn = {"conn_type": "aws", "extra": {"region_name": region}}
    lines = [
        "",
        "# --- Airflow environment (MWAA: environment variables / startup script; Astro: deployment env vars) ---",
        *(f"{k}={v}" for k, v in olist.items()),
        "# Connections: aws_default uses the worker role (no keys); redshift_default (dbt_user) is read from",
        "# Secrets Manager by the secrets backend, so no password is ever copied:",
        f"AIRFLOW_CONN_AWS_DEFAULT='{json.dumps(aws_conn)}'",
        "AIRFLOW__SECRETS__BACKEND=airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend",
        f"AIRFLOW__SECRETS__BACKEND_KWARGS='{json.dumps(backend_kwargs)}'",
        "# Shape of redshift_default if you define it yourself instead (password from the secret above):",
        '# AIRFLOW_CONN_REDSHIFT_DEFAULT=\'{"conn_type": "redshift", "host": "'
        + outputs.get("RedshiftEndpoint", "<endpoint>")
        + '", "port": 5439, "schema": "'
        + outputs.get("RedshiftDatabaseName", "olist")
        + '", "login": "dbt_user", "password": "<from the secret>"}\'',
        f"# dbt_user's secret (= redshift_default): {outputs.get('DbtUserSecretArn', '')}",
        f"# Worker role (MWAA execution role / role assumed by Astro): {outputs.get('AirflowWorkerRoleArn', '')}",
        f"# Power BI: host {outputs.get('RedshiftEndpoint', '')} port 5439, user bi_analyst, password in "
        f"{outputs.get('BiAnalystSecretArn', '')}",
    ]
    return lines
