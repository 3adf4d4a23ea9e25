"""`olist-dw infra ...`: plan, deploy, destroy the AWS stacks of an environment; Redshift setup; simulator switch.

    olist-dw infra plan --env dev            # offline: what would be created
    olist-dw infra deploy --env dev          # bootstrap + artifacts + main stack + Redshift setup
    olist-dw infra redshift-setup --env dev  # users, Spectrum schema, grants (again)
    olist-dw infra simulator on|off --env dev
    olist-dw infra outputs --env dev         # the Airflow values again
    olist-dw infra package-lambda            # build the Lambda zip only
    olist-dw infra upload-source --from DIR  # the nine Olist files -> the S3 inbox olist_batch lands from
    olist-dw infra destroy --env dev --yes

AWS credentials come from the usual chain (AWS_PROFILE, SSO, a role); the region from OLIST_AWS_REGION.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("infra", help="deploy, plan or destroy the AWS environment (CloudFormation)")
    actions = parser.add_subparsers(dest="infra_action", metavar="ACTION", required=True)

    def with_env(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("--env", required=True, help="environment name, e.g. dev (part of every resource name)")
        return sub

    with_env("plan", "print what deploy would create (no AWS account needed)").set_defaults(func=run_plan)
    deploy = with_env("deploy", "deploy or update the environment (idempotent) and print the Airflow values")
    deploy.add_argument("--skip-redshift-setup", action="store_true", help="do not run the Redshift SQL setup")
    deploy.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a template parameter, e.g. --param AirflowPlatform=astro (kept on later deploys)",
    )
    deploy.set_defaults(func=run_deploy)
    destroy = with_env("destroy", "delete the environment: stacks, bucket contents, secrets")
    destroy.add_argument("--yes", action="store_true", help="confirm (deletes the lake's data)")
    destroy.set_defaults(func=run_destroy)
    setup = with_env("redshift-setup", "create/re-key dbt_user and bi_analyst, Spectrum schema, grants")
    setup.add_argument("--dry-run", action="store_true", help="print the statements (no account needed)")
    setup.set_defaults(func=run_redshift_setup)
    simulator = with_env("simulator", "switch the order generator schedule on or off")
    simulator.add_argument("state", choices=["on", "off"])
    simulator.set_defaults(func=run_simulator)
    with_env("outputs", "print the stack outputs as Airflow settings").set_defaults(func=run_outputs)
    package = actions.add_parser("package-lambda", help="build the order generator's Lambda zip")
    package.add_argument("--out", default="build/lambda", help="output folder (default build/lambda)")
    package.set_defaults(func=run_package_lambda)
    upload = actions.add_parser(
        "upload-source",
        help="upload the nine Olist files of a folder into the S3 inbox (OLIST_S3_INBOX, default "
        "s3://$OLIST_S3_BUCKET/inbox/) that olist_batch's land copies from",
    )
    upload.add_argument(
        "--from", dest="source_dir", required=True, metavar="DIR", help="folder of the nine files (.csv or .csv.gz)"
    )
    upload.set_defaults(func=run_upload_source)


def _environment(args: argparse.Namespace):
    from olist_dw.infra.deploy import Environment, validate_env_name
    from olist_dw.settings import get_settings

    return Environment(validate_env_name(args.env), get_settings())


def _session(env):
    return _region_session(env.region)


def _region_session(region: str):
    import boto3
    from botocore.exceptions import NoCredentialsError, NoRegionError

    from olist_dw.errors import UserFacingError

    session = boto3.Session(region_name=region)
    try:
        if session.get_credentials() is None:
            raise NoCredentialsError()
    except (NoCredentialsError, NoRegionError) as err:
        raise UserFacingError(
            "no AWS credentials: set AWS_PROFILE (or run `aws sso login`), or use `olist-dw infra plan`, which "
            "needs none"
        ) from err
    return session


def run_plan(args: argparse.Namespace) -> int:
    from olist_dw.infra.plan import print_plan

    print_plan(_environment(args))
    return 0


def run_deploy(args: argparse.Namespace) -> int:
    from olist_dw.infra.deploy import deploy

    env = _environment(args)
    overrides = _parse_params(args.param)
    deploy(env, _session(env), run_redshift_setup=not args.skip_redshift_setup, overrides=overrides)
    return 0


def _parse_params(pairs: list[str]) -> dict[str, str]:
    from olist_dw.errors import UserFacingError
    from olist_dw.infra.templates import MAIN_TEMPLATE, load_template

    known = set(load_template(MAIN_TEMPLATE)["Parameters"])
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in known:
            raise UserFacingError(f"--param {pair!r}: use KEY=VALUE with KEY one of {', '.join(sorted(known))}")
        overrides[key] = value
    return overrides


def run_destroy(args: argparse.Namespace) -> int:
    from olist_dw.errors import UserFacingError
    from olist_dw.infra.deploy import destroy

    env = _environment(args)
    if not args.yes:
        raise UserFacingError(
            f"destroy deletes stacks {env.main_stack} and {env.bootstrap_stack} with the lake's data and the "
            "Redshift namespace; add --yes to confirm"
        )
    destroy(env, _session(env))
    return 0


def run_redshift_setup(args: argparse.Namespace) -> int:
    env = _environment(args)
    if args.dry_run:
        from olist_dw.infra.redshift_setup import SetupInputs, statements_preview

        s = env.settings
        inputs = SetupInputs(
            database=s.redshift_database,
            glue_database=s.glue_database,
            redshift_role_arn=s.redshift_iam_role_arn or "arn:aws:iam::123456789012:role/olist-redshift-role",
            passwords={"dbt_user": "<from secret>", "bi_analyst": "<from secret>"},
        )
        for statement in statements_preview(inputs):
            print(statement + ";")
        return 0
    from olist_dw.infra.deploy import redshift_setup

    redshift_setup(env, _session(env))
    return 0


def run_simulator(args: argparse.Namespace) -> int:
    from olist_dw.infra.deploy import set_simulator

    env = _environment(args)
    set_simulator(env, _session(env), enabled=args.state == "on")
    return 0


def run_outputs(args: argparse.Namespace) -> int:
    from olist_dw.infra.deploy import airflow_values, stack_outputs

    env = _environment(args)
    outputs = stack_outputs(_session(env).client("cloudformation", region_name=env.region), env.main_stack)
    for line in airflow_values(env, outputs):
        print(line)
    return 0


def run_package_lambda(args: argparse.Namespace) -> int:
    from pathlib import Path

    from olist_dw.infra.lambda_package import build

    package = build(Path(args.out))
    print(f"Lambda package: {package.path} ({package.path.stat().st_size / 1e6:.1f} MB, sha256 {package.sha256[:16]})")
    return 0


def run_upload_source(args: argparse.Namespace) -> int:
    from pathlib import Path

    from olist_dw.batch.land import inbox_location, upload_to_inbox
    from olist_dw.settings import get_settings

    settings = get_settings()
    bucket, prefix = inbox_location(settings)
    source_dir = Path(args.source_dir).expanduser().resolve()
    client = _region_session(settings.aws_region).client("s3")
    for key in upload_to_inbox(client, source_dir, bucket, prefix):
        print(f"uploaded s3://{bucket}/{key}")
    print(f"now trigger olist_batch: its land copies s3://{bucket}/{prefix} into bronze/")
    return 0
