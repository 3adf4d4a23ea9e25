"""`olist-dw generate`: write the nine Olist-shaped CSV files."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("generate", help="write the nine Olist CSV files at a given scale")
    parser.add_argument("--scale", type=float, default=None, help="1.0 = real size (default OLIST_SCALE)")
    parser.add_argument("--seed", type=int, default=None, help="same scale and seed give the same bytes")
    parser.add_argument("--out", default=None, help="output folder (default OLIST_HOME/source)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("generator: see issue 2")
