"""The CloudFormation templates in infra/: loading them offline, summarising their resources, and the Glue
column list that the order event JSON Schema implies (the sim_orders table must match it).

The loader understands CloudFormation's short tags (!Ref, !Sub, !GetAtt, ...) and turns them into the long
form ({"Ref": ...}, {"Fn::Sub": ...}), so the same dicts are what CloudFormation itself would see.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from olist_dw.errors import UserFacingError
from olist_dw.settings import PROJECT_ROOT

INFRA_DIR = PROJECT_ROOT / "infra"
BOOTSTRAP_TEMPLATE = INFRA_DIR / "bootstrap.yaml"
MAIN_TEMPLATE = INFRA_DIR / "olist.yaml"
TEMPLATES = (BOOTSTRAP_TEMPLATE, MAIN_TEMPLATE)
ORDER_EVENT_SCHEMA = PROJECT_ROOT / "plugins" / "olist_dw" / "sim" / "order_event.schema.json"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short-form intrinsic functions."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    if tag_suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    """The template as CloudFormation sees it (long-form intrinsics); a clear error on bad YAML."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 (SafeLoader subclass)
    except (OSError, yaml.YAMLError) as err:
        raise UserFacingError(f"{path}: cannot read the CloudFormation template ({err})") from err
    if not isinstance(document, dict) or "Resources" not in document:
        raise UserFacingError(f"{path}: not a CloudFormation template (no Resources section)")
    return document


# --------------------------------------------------------------------------------------------------
# Offline summary (what `olist-dw infra plan` prints)

# Properties worth showing per resource type: the name and the settings a reviewer checks first.
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::S3::Bucket": ("BucketName", "VersioningConfiguration.Status", "BucketEncryption"),
    "AWS::DynamoDB::Table": ("TableName", "BillingMode", "PointInTimeRecoverySpecification"),
    "AWS::Kinesis::Stream": ("Name", "ShardCount", "RetentionPeriodHours", "StreamEncryption.EncryptionType"),
    "AWS::KinesisFirehose::DeliveryStream": (
        "DeliveryStreamName",
        "ExtendedS3DestinationConfiguration.Prefix",
        "ExtendedS3DestinationConfiguration.BufferingHints",
    ),
    "AWS::Glue::Database": ("DatabaseInput.Name",),
    "AWS::Glue::Table": ("TableInput.Name", "TableInput.StorageDescriptor.Location"),
    "AWS::Glue::Crawler": ("Name", "Targets"),
    "AWS::Glue::Job": ("Name", "GlueVersion", "WorkerType", "NumberOfWorkers", "Command.ScriptLocation"),
    "AWS::Lambda::Function": ("FunctionName", "Runtime", "Handler", "Timeout", "ReservedConcurrentExecutions"),
    "AWS::Scheduler::Schedule": ("Name", "ScheduleExpression", "State"),
    "AWS::SQS::Queue": ("QueueName", "MessageRetentionPeriod"),
    "AWS::Events::Rule": ("Name", "EventPattern.detail"),
    "AWS::RedshiftServerless::Namespace": ("NamespaceName", "DbName", "ManageAdminPassword"),
    "AWS::RedshiftServerless::Workgroup": ("WorkgroupName", "BaseCapacity", "MaxCapacity", "PubliclyAccessible"),
    "AWS::SecretsManager::Secret": ("Name",),
    "AWS::Logs::LogGroup": ("LogGroupName", "RetentionInDays"),
    "AWS::EC2::VPC": ("CidrBlock",),
    "AWS::EC2::Subnet": ("AvailabilityZoneId",),
    "AWS::EC2::SecurityGroup": ("GroupDescription",),
    "AWS::IAM::Role": ("Description",),
    "AWS::IAM::ManagedPolicy": ("Description",),
}


@dataclass(frozen=True)
class ResourceSummary:
    logical_id: str
    type: str
    properties: dict[str, str]
    condition: str | None = None


def _dig(properties: dict[str, Any], dotted: str) -> Any:
    value: Any = properties
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _resolve(value: Any, names: dict[str, str]) -> Any:
    """Intrinsics replaced by what they will be where known (parameters, pseudo parameters, resource names)."""
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return names.get(arg, f"<{arg}>")
        if fn == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) else arg
            local = {k: _resolve(v, names) for k, v in (arg[1].items() if isinstance(arg, list) else ())}
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(local.get(m[1], names.get(m[1], f"<{m[1]}>"))), text)
        if fn == "Fn::GetAtt":
            return f"<{'.'.join(arg)}>"
        if fn == "Fn::If":
            return f"if {arg[0]}: {_resolve(arg[1], names)} else {_resolve(arg[2], names)}"
        if fn == "Fn::Select":
            values = _resolve(arg[1], names)
            if isinstance(values, str):  # a CommaDelimitedList parameter's value
                values = values.split(",")
            if isinstance(values, list) and int(arg[0]) < len(values):
                return values[int(arg[0])]
            return {fn: [arg[0], values]}
    if isinstance(value, dict):
        return {k: _resolve(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, names) for v in value]
    return value


def render_value(value: Any, names: dict[str, str]) -> str:
    """A readable one-line value."""
    resolved = _resolve(value, names)
    if isinstance(resolved, dict | list):
        return json.dumps(resolved, separators=(",", ":"), default=str)
    return str(resolved)


PSEUDO_PARAMETERS = {"AWS::AccountId": "<account>", "AWS::Partition": "aws", "AWS::NoValue": "(none)"}


def summarise(
    template: dict[str, Any], parameters: dict[str, str] | None = None, region: str = "<region>"
) -> list[ResourceSummary]:
    """Every resource with its type and key properties, in template order."""
    names = dict(PSEUDO_PARAMETERS, **{"AWS::Region": region})
    names.update({n: str(spec.get("Default", f"<{n}>")) for n, spec in template.get("Parameters", {}).items()})
    names.update(parameters or {})
    # A resource's Ref is its name where the template sets one (buckets, tables, streams, ...).
    for logical_id, resource in template["Resources"].items():
        name_keys = [k for k in KEY_PROPERTIES.get(resource["Type"], ()) if k.endswith("Name")]
        value = _dig(resource.get("Properties", {}), name_keys[0]) if name_keys else None
        if value is not None:
            names.setdefault(logical_id, str(_resolve(value, names)))
    summaries = []
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        shown = {}
        for key in KEY_PROPERTIES.get(resource["Type"], ()):
            value = _dig(props, key)
            if value is not None:
                shown[key] = render_value(value, names)
        summaries.append(ResourceSummary(logical_id, resource["Type"], shown, resource.get("Condition")))
    return summaries


# --------------------------------------------------------------------------------------------------
# Glue columns implied by the order event JSON Schema

_GLUE_TYPE_MARK = "Parquet/Glue:"


def _declared_type(description: str) -> str:
    """The type after "Parquet/Glue:" in a description, e.g. "(Parquet/Glue: decimal(12,2))." -> decimal(12,2)."""
    rest = description.split(_GLUE_TYPE_MARK, 1)[1].lstrip()
    depth, out = 0, []
    for char in rest:
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break  # closes the description's own parenthesis
            depth -= 1
        elif depth == 0 and (char.isspace() or char in ".;"):
            break
        out.append(char)
    return "".join(out)


def _glue_type(name: str, spec: dict[str, Any]) -> str:
    if _GLUE_TYPE_MARK in spec.get("description", ""):
        # The schema names the storage type where JSON cannot (timestamps, decimals).
        return _declared_type(spec["description"])
    json_type = spec.get("type")
    if isinstance(json_type, list):
        non_null = [t for t in json_type if t != "null"]
        if len(non_null) != 1:
            raise UserFacingError(f"order event schema: field {name!r} has several types {json_type}")
        json_type = non_null[0]
    simple = {"string": "string", "integer": "int", "number": "double", "boolean": "boolean"}
    if json_type in simple:
        return simple[json_type]
    if json_type == "array":
        return f"array<{_glue_type(name, spec['items'])}>"
    if json_type == "object":
        fields = ",".join(f"{key}:{_glue_type(key, sub)}" for key, sub in spec["properties"].items())
        return f"struct<{fields}>"
    raise UserFacingError(f"order event schema: field {name!r} has no Glue equivalent for type {json_type!r}")


def glue_columns_from_schema(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, Glue type) of every top-level field, in the schema's order (the Parquet column order)."""
    return [(name, _glue_type(name, spec)) for name, spec in schema["properties"].items()]


def load_order_event_schema(path: Path = ORDER_EVENT_SCHEMA) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UserFacingError(f"{path}: cannot read the order event JSON Schema ({err})") from err
