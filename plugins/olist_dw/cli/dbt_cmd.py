"""`olist-dw dbt-manifest`: build include/dbt/target/manifest.json, which Cosmos renders DAGs from."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dbt-manifest", help="parse the dbt project into target/manifest.json")
    parser.add_argument("--target", default=None, help="dbt target (default OLIST_TARGET)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from olist_dw.dbt_runner import build_manifest
    from olist_dw.settings import get_settings
    from olist_dw.targets import get_target

    path = build_manifest(get_target(get_settings()), dbt_target=args.target)
    print(f"dbt manifest: {path}")
    return 0
