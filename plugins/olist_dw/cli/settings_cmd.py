"""`olist-dw settings`: print the effective settings (what the environment resolved to)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("settings", help="print the effective settings and local paths")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from olist_dw.settings import get_settings

    settings = get_settings()
    for name, value in settings.model_dump().items():
        print(f"{name:24} {value}")
    for name in (
        "lake_dir",
        "warehouse_path",
        "serving_path",
        "effective_source_dir",
        "sim_dir",
        "airflow_home",
    ):
        print(f"{name:24} {getattr(settings, name)}")
    return 0
