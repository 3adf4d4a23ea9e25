"""Serving the dashboard and driving Debian's headless Chromium, shared by the browser tests.

Chromium comes from the project's setup (`make browser`, a prerequisite of `make test`); playwright only
drives it (never `playwright install`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from olist_dw.dashboard.server import streamlit_command

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these, chromium's own background connections are refused here and slow every page.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ERROR_ELEMENTS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_dashboard(home: Path, log: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run` of the page with its own OLIST_HOME; yields the URL once the server is healthy."""
    port = free_port()
    env = {**os.environ, "OLIST_HOME": str(home), "OLIST_DASHBOARD_REFRESH_SECONDS": "1", **(extra_env or {})}
    with open(log, "wb") as out:
        server = subprocess.Popen(streamlit_command(port), env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"streamlit did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def metric_values(page) -> dict[str, str]:
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values, strict=True)}
