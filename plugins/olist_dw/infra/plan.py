"""`olist-dw infra plan`: what a deploy would create, from the templates alone (no AWS account needed)."""

from __future__ import annotations

from collections.abc import Callable

from olist_dw.infra.deploy import (
    GLUE_CONTRACT,
    GLUE_SCRIPT,
    ZONE_IDS_DEFAULT_REGION,
    ZONE_IDS_PARAMETER,
    Environment,
    main_parameters,
)
from olist_dw.infra.lambda_package import HANDLER_DIR
from olist_dw.infra.templates import BOOTSTRAP_TEMPLATE, MAIN_TEMPLATE, load_template, summarise


def plan_lines(env: Environment) -> list[str]:
    artifacts = f"olist-{env.name}-artifacts-<account>-{env.region}"
    params = main_parameters(
        env,
        artifacts,
        "glue/csv_to_parquet-<sha>.py",
        "lambda/order_generator-<sha>.zip",
        "glue/contract-<sha>/olist_sources.json",
    )
    lines = [
        f"Plan for environment {env.name!r} in {env.region} (offline: from the templates, not from an account)",
        "",
    ]
    for stack, path, stack_params in (
        (env.bootstrap_stack, BOOTSTRAP_TEMPLATE, {"EnvName": env.name}),
        (env.main_stack, MAIN_TEMPLATE, params),
    ):
        template = load_template(path)
        resources = summarise(template, stack_params, region=env.region)
        lines.append(f"stack {stack}  ({path.relative_to(path.parents[1])}, {len(resources)} resources)")
        for resource in resources:
            condition = f"  [if {resource.condition}]" if resource.condition else ""
            lines.append(f"  + {resource.logical_id:<34} {resource.type}{condition}")
            for key, value in resource.properties.items():
                lines.append(f"      {key} = {_clip(value)}")
        lines.append("")
    if env.region != ZONE_IDS_DEFAULT_REGION:
        lines += [
            f"note: the default {ZONE_IDS_PARAMETER} are zones of {ZONE_IDS_DEFAULT_REGION}; in {env.region} deploy"
            f" with --param {ZONE_IDS_PARAMETER}=ID1,ID2,ID3 (three zone IDs where Redshift Serverless runs)",
            "",
        ]
    lines += [
        "artifacts uploaded by deploy (content-addressed keys):",
        f"  {GLUE_SCRIPT.relative_to(GLUE_SCRIPT.parents[2])} -> s3://{artifacts}/glue/",
        f"  {GLUE_CONTRACT.relative_to(GLUE_CONTRACT.parents[2])} -> s3://{artifacts}/glue/contract-<sha>/",
        f"  Lambda zip of {HANDLER_DIR.relative_to(HANDLER_DIR.parents[2])} + olist_dw core + requirements"
        f" -> s3://{artifacts}/lambda/",
        f"  infra/olist.yaml -> s3://{artifacts}/templates/",
        "then: Redshift setup (bronze_sim_ext, dbt_user, bi_analyst) through the Data API",
    ]
    return lines


def _clip(value: str, width: int = 110) -> str:
    return value if len(value) <= width else value[: width - 3] + "..."


def print_plan(env: Environment, echo: Callable[[str], None] = print) -> None:
    for line in plan_lines(env):
        echo(line)
