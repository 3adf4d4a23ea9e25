"""How the dashboard is served: the `streamlit run` command line (used by the CLI and the browser tests)."""

from __future__ import annotations

import sys
from pathlib import Path

APP_PATH = Path(__file__).resolve().parent / "app.py"


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """`streamlit run` of the page: headless, no usage statistics, the shipped map base served statically."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # static/ beside app.py holds the topojson base map that plotly would otherwise fetch from a CDN.
        "--server.enableStaticServing",
        "true",
        # An analyst's page: no "Deploy" button or developer menu.
        "--client.toolbarMode",
        "minimal",
        # The page is not edited while it runs: no file watcher threads.
        "--server.fileWatcherType",
        "none",
    ]
