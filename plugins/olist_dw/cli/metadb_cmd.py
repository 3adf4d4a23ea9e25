"""`olist-dw metadb start|stop|status`: the local Airflow's PostgreSQL metadata database (OLIST_HOME/postgres).

`olist-dw airflow ...` and `olist-dw demo` start it when needed and leave it running (as `astro dev start`
does); `stop` stops it, e.g. before deleting OLIST_HOME."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "metadb",
        help="start, stop or show the local Airflow's PostgreSQL metadata database",
        description=__doc__,
    )
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from olist_dw import metadata_db
    from olist_dw.settings import get_settings

    settings = get_settings()
    if args.action == "start":
        url = metadata_db.ensure_running(settings)
        print(metadata_db.status_text(settings) if metadata_db.mode(settings) == "postgres" else url)
    elif args.action == "stop":
        stopped = metadata_db.stop(settings) if metadata_db.mode(settings) == "postgres" else False
        print("stopped" if stopped else "not running")
    else:
        print(metadata_db.status_text(settings))
    return 0
