"""`olist-dw`: the project's command line. Each subcommand lives in its own module here."""

from __future__ import annotations

import argparse
import importlib
import sys

from olist_dw import __version__
from olist_dw.errors import UserFacingError

# Each module exposes `register(subparsers)`; imports inside the commands stay lazy so that
# `olist-dw --help` is instant.
COMMAND_MODULES = (
    "olist_dw.cli.generate",
    "olist_dw.cli.settings_cmd",
    "olist_dw.cli.airflow_cmd",
    "olist_dw.cli.metadb_cmd",
    "olist_dw.cli.dbt_cmd",
    "olist_dw.cli.docs_cmd",
    "olist_dw.cli.demo",
    "olist_dw.cli.simulate",
    "olist_dw.cli.dashboard",
    "olist_dw.cli.infra",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="olist-dw",
        description="Olist sales-analysis data warehouse: generate data, run the pipeline, simulate, deploy.",
    )
    parser.add_argument("--version", action="version", version=f"olist-dw {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except UserFacingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
