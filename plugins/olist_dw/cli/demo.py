"""`olist-dw demo`: the project's main job on the embedded default (what `make demo` runs).

Steps, in order: generate the source data (unless OLIST_SOURCE_DIR is set), run the batch DAG through
Airflow, run simulated hours through the real-time path, then say where to look.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the whole pipeline locally on the embedded default")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from olist_dw.settings import get_settings

    settings = get_settings()
    print(f"olist-dw demo: all local state under {settings.home}")
    generate_step(settings)
    batch_step(settings)
    realtime_step(settings)  # after the batch: publish carries marts/gold over into the serving file
    where_to_look(settings)  # keep last: the demo ends by saying how to open what it built
    return 0


def batch_step(settings) -> None:
    from olist_dw.demo.batch import batch_demo

    batch_demo(settings)


def realtime_step(settings) -> None:
    from olist_dw.demo.realtime import realtime_demo

    realtime_demo(settings)


def generate_step(settings) -> None:
    from olist_dw.cli.generate import generate_and_summarise

    if settings.source_dir:
        print(f"source: using the files in OLIST_SOURCE_DIR={settings.source_dir}")
        return
    generate_and_summarise(scale=settings.scale, seed=settings.seed, out=settings.generated_source_dir)


def where_to_look(settings) -> None:
    """The demo's last words: how to open the dashboard and the Airflow UI on what was just built."""
    print(
        "\nDone. To look at the results:\n"
        f"  dashboard   make dashboard   -> http://localhost:{settings.dashboard_port}"
        f"  (read-only over {settings.serving_path})\n"
        "  Airflow UI  make airflow     -> http://localhost:8080"
        f"  (DAG runs and logs; login in {settings.airflow_home}/simple_auth_manager_passwords.json.generated)\n"
        "  SQL / BI    docs/bi.md       (DuckDB CLI, DBeaver, Python or Power BI, read-only on the serving file)"
    )
