"""`olist-dw dbt-manifest`: build include/dbt/target/manifest.json, which Cosmos renders DAGs from.
`olist-dw dbt <args>`: any dbt command on the project with the environment the DAGs give it."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dbt-manifest", help="parse the dbt project into target/manifest.json")
    parser.add_argument("--target", default=None, help="dbt target (default OLIST_TARGET)")
    parser.set_defaults(func=run)

    passthrough = subparsers.add_parser(
        "dbt",
        help="run dbt on the project with the target's environment (e.g. `olist-dw dbt build -s tag:realtime`)",
    )
    passthrough.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments passed to dbt as they are")
    passthrough.set_defaults(func=run_passthrough)


def run(args: argparse.Namespace) -> int:
    from olist_dw.dbt_runner import build_manifest
    from olist_dw.settings import get_settings
    from olist_dw.targets import get_target

    path = build_manifest(get_target(get_settings()), dbt_target=args.target)
    print(f"dbt manifest: {path}")
    return 0


def run_passthrough(args: argparse.Namespace) -> int:
    from olist_dw.dbt_runner import run_dbt
    from olist_dw.errors import UserFacingError
    from olist_dw.settings import get_settings
    from olist_dw.targets import get_target

    if not args.dbt_args:
        raise UserFacingError("olist-dw dbt: give a dbt command, e.g. `olist-dw dbt build --select tag:batch`")
    run_dbt(list(args.dbt_args), get_target(get_settings()))
    return 0
