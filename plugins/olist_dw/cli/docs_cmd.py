"""`olist-dw docs [--serve] [--port N]`: build the dbt docs into OLIST_HOME/dbt-docs and serve them on
localhost (what `make docs` runs)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "docs", help="build the dbt docs (models, columns, tests, exposures, lineage) and serve them on localhost"
    )
    parser.add_argument("--serve", action="store_true", help="serve them after the build, until Ctrl+C")
    parser.add_argument("--port", type=int, default=None, help="port to serve on (default OLIST_DOCS_PORT, 8580)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from olist_dw.docs_site import build_docs, docs_server
    from olist_dw.settings import get_settings

    settings = get_settings()
    build = build_docs(settings)
    print(f"dbt docs: {build.directory}/index.html ({build.note})")
    if not build.with_catalog:
        print(
            "note: the docs have no column types, row counts or compiled SQL; run `make docs` again once the "
            "warehouse is built and no pipeline writes it"
        )
    if not args.serve:
        return 0
    port = args.port or settings.docs_port
    server = docs_server(build.directory, str(settings.bind_host), port)
    print(f"dbt docs: http://{settings.client_host}:{port}/  (Ctrl+C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
