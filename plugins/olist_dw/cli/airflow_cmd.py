"""`olist-dw airflow ...`: the Airflow CLI with the project's local environment."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "airflow",
        help="run the Airflow CLI on the local environment (e.g. `olist-dw airflow standalone`)",
        add_help=False,
        # No option prefix: every argument, `--help` first included, goes to Airflow (argparse's REMAINDER
        # leaves an argument that looks like an option unmatched when it comes first).
        prefix_chars="\0",
    )
    parser.add_argument("airflow_args", nargs=argparse.REMAINDER)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from olist_dw.airflow_local import airflow_env, ensure_airflow_db, run_airflow, run_through_ctrl_c
    from olist_dw.settings import get_settings

    settings = get_settings()
    ensure_airflow_db(settings)
    airflow_args = args.airflow_args or ["--help"]
    if airflow_args[0] != "standalone":
        return run_airflow(airflow_args, settings, check=False).returncode
    env = airflow_env(settings)
    print(
        f"Airflow UI: http://{settings.client_host}:{env.get('AIRFLOW__API__PORT', '8080')} "
        f"(listening on OLIST_BIND_HOST={settings.bind_host}; Ctrl+C stops every component)",
        flush=True,
    )
    return run_through_ctrl_c([sys.executable, "-m", "olist_dw.airflow_standalone"], env)
