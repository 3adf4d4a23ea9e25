"""`olist-dw dashboard`: serve the read-only BI dashboard on localhost (what `make dashboard` runs)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dashboard", help="serve the read-only dashboard on http://127.0.0.1:8501")
    parser.add_argument("--port", type=int, default=None, help="port to serve on (default OLIST_DASHBOARD_PORT)")
    parser.add_argument(
        "--address", default=None, help="address to listen on (default OLIST_BIND_HOST, 127.0.0.1; 0.0.0.0 exposes it)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import subprocess

    from olist_dw.dashboard.server import streamlit_command
    from olist_dw.settings import get_settings

    settings = get_settings()
    port = args.port or settings.dashboard_port
    address = args.address or str(settings.bind_host)
    from olist_dw.warehouse import snapshot_files

    if not snapshot_files(settings.serving_path):
        print(f"note: no warehouse published yet at {settings.serving_path}; the page says what to run")
    shown = settings.client_host if args.address is None else address
    print(f"dashboard: http://{shown}:{port}  (read-only over {settings.serving_path}; Ctrl+C stops it)")
    try:
        return subprocess.run(streamlit_command(port, address), check=False).returncode
    except KeyboardInterrupt:
        return 0
