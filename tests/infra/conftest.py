"""Fixtures of the infra tests: the loaded templates, the built Lambda package, moto-deployable templates."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest

from olist_dw.infra.templates import BOOTSTRAP_TEMPLATE, MAIN_TEMPLATE, load_template


@pytest.fixture(scope="session")
def main_template() -> dict[str, Any]:
    return load_template(MAIN_TEMPLATE)


@pytest.fixture(scope="session")
def bootstrap_template() -> dict[str, Any]:
    return load_template(BOOTSTRAP_TEMPLATE)


@pytest.fixture(scope="session")
def templates(main_template, bootstrap_template) -> dict[str, dict[str, Any]]:
    return {"bootstrap.yaml": bootstrap_template, "olist.yaml": main_template}


@pytest.fixture(scope="session")
def lambda_package(tmp_path_factory):
    """The order generator's zip, built once per session (dependencies from the uv cache or PyPI)."""
    from olist_dw.infra.lambda_package import build

    return build(tmp_path_factory.mktemp("lambda"))


# --------------------------------------------------------------------------------------------------
# moto deploys the resource types its CloudFormation implements. The rest are left out, and references to
# them become placeholder strings, so that everything moto *can* create is created from the real template.
# moto lacks Fn::Cidr and drops no AWS::NoValue from lists: both are resolved here with the parameters.


@pytest.fixture(scope="session")
def moto_template():
    """moto_template(template, parameters, exclude_types=()) -> (deployable template, logical ids left out)."""
    return _moto_template


def _moto_template(
    template: dict[str, Any], parameters: dict[str, str], exclude_types: tuple[str, ...] = ()
) -> tuple[dict[str, Any], set[str]]:
    from moto.cloudformation.parsing import get_model_map

    supported = set(get_model_map()) - set(exclude_types)
    params = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
    params.update(parameters)
    conditions = template.get("Conditions", {})
    no_value = object()

    def condition(expr: Any) -> Any:
        if isinstance(expr, dict) and len(expr) == 1:
            ((fn, arg),) = expr.items()
            if fn == "Ref":
                return params[arg]
            if fn == "Condition":
                return condition(conditions[arg])
            if fn == "Fn::Equals":
                return condition(arg[0]) == condition(arg[1])
            if fn == "Fn::Not":
                return not condition(arg[0])
            if fn == "Fn::And":
                return all(condition(a) for a in arg)
            if fn == "Fn::Or":
                return any(condition(a) for a in arg)
        return expr if isinstance(expr, bool) else str(expr)

    removed = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] not in supported
        or ("Condition" in resource and not condition(conditions[resource["Condition"]]))
    }

    def placeholder(logical_id: str) -> str:
        return f"placeholder-{logical_id.lower()}"

    def transform(value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((fn, arg),) = value.items()
                if fn == "Fn::If":
                    return transform(arg[1] if condition(conditions[arg[0]]) else arg[2])
                if fn == "Ref" and arg == "AWS::NoValue":
                    return no_value
                if fn == "Ref" and arg in removed:
                    return placeholder(arg)
                if fn == "Fn::GetAtt" and arg[0] in removed:
                    return f"arn:aws:iam::123456789012:role/{placeholder(arg[0])}"
                if fn == "Fn::Select" and isinstance(arg[1], dict) and "Fn::Cidr" in arg[1]:
                    return transform(arg[1])[int(arg[0])]
                if fn == "Fn::Cidr":
                    block, count, bits = arg
                    block = params[block["Ref"]] if isinstance(block, dict) else block
                    subnets = ipaddress.ip_network(block).subnets(new_prefix=32 - int(bits))
                    return [str(net) for _, net in zip(range(int(count)), subnets, strict=False)]
                if fn == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) else arg
                    text = re.sub(
                        r"\$\{([A-Za-z0-9]+)(\.[A-Za-z.]+)?\}",
                        lambda m: placeholder(m[1]) if m[1] in removed else m[0],
                        text,
                    )
                    return {"Fn::Sub": [text, transform(arg[1])] if isinstance(arg, list) else text}
            out = {key: transform(item) for key, item in value.items()}
            return {key: item for key, item in out.items() if item is not no_value}
        if isinstance(value, list):
            return [item for item in (transform(v) for v in value) if item is not no_value]
        return value

    resources = {}
    for logical_id, resource in template["Resources"].items():
        if logical_id in removed:
            continue
        resource = transform(resource)
        resource.pop("Condition", None)
        resources[logical_id] = resource
    deployable = {
        "AWSTemplateFormatVersion": template.get("AWSTemplateFormatVersion", "2010-09-09"),
        "Parameters": template.get("Parameters", {}),
        "Resources": resources,
        "Outputs": transform(template.get("Outputs", {})),
    }
    return deployable, removed


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Fake credentials and region, so that nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")  # pragma: allowlist secret
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("OLIST_AWS_REGION", "us-east-1")
