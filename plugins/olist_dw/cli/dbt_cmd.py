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
        add_help=False,
        # No option prefix: every argument, `--help` or `--debug` first included, goes to dbt (argparse's
        # REMAINDER leaves an argument that looks like an option unmatched when it comes first).
        prefix_chars="\0",
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

    dbt_args = list(args.dbt_args)
    if not dbt_args:
        raise UserFacingError("olist-dw dbt: give a dbt command, e.g. `olist-dw dbt build --select tag:batch`")
    if all(arg.startswith("-") for arg in dbt_args):  # `--help`, `--version`: dbt's own, no project to point at
        from dbt.cli.main import dbtRunner

        return 0 if dbtRunner().invoke(dbt_args).success else 1
    run_dbt(dbt_args, get_target(get_settings()))
    return 0
