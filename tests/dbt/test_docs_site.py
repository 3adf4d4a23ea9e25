"""olist_dw.docs_site without a browser: the docs when the warehouse is missing or another process writes it,
the server's port error, and the docs in Cosmos's Airflow 3 plugin (the env the local Airflow gets)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

HOLD_WRITE_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture
def restore_env():
    saved = dict(os.environ)  # run_dbt exports the profile's variables
    yield
    os.environ.clear()
    os.environ.update(saved)


def manifest_and_catalog(directory: Path) -> tuple[dict, dict]:
    return (
        json.loads((directory / "manifest.json").read_text()),
        json.loads((directory / "catalog.json").read_text()),
    )


def test_docs_without_a_warehouse_document_the_project_and_create_no_warehouse(olist_home, restore_env) -> None:
    from olist_dw.docs_site import build_docs, docs_built
    from olist_dw.settings import get_settings

    settings = get_settings()
    assert not docs_built(settings)
    build = build_docs(settings)

    assert not build.with_catalog and "no warehouse" in build.note
    assert not settings.warehouse_path.exists(), "building the docs created an empty warehouse"
    manifest, catalog = manifest_and_catalog(build.directory)
    assert "model.olist.fct_orders" in manifest["nodes"]
    assert "exposure.olist.sales_dashboard" in manifest["exposures"]
    assert catalog["nodes"] == {}
    assert docs_built(settings)


def test_docs_while_another_process_writes_the_warehouse_skip_the_catalog_and_say_so(olist_home, restore_env) -> None:
    from olist_dw.docs_site import build_docs
    from olist_dw.settings import get_settings

    settings = get_settings()
    settings.warehouse_path.parent.mkdir(parents=True)
    duckdb.connect(str(settings.warehouse_path)).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(settings.warehouse_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "locked"
        build = build_docs(settings)
    finally:
        writer.kill()
        writer.wait(timeout=10)

    assert not build.with_catalog
    assert "in use by another process" in build.note and str(settings.warehouse_path) in build.note
    manifest, catalog = manifest_and_catalog(build.directory)
    assert "model.olist.fct_orders" in manifest["nodes"]
    assert catalog["nodes"] == {}


def test_docs_server_on_a_busy_port_names_the_setting() -> None:
    from olist_dw.docs_site import DocsPortInUseError, docs_server

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(DocsPortInUseError, match="OLIST_DOCS_PORT"):
            docs_server(Path("."), "127.0.0.1", busy.getsockname()[1])


def test_docs_url_uses_the_bind_host_and_docs_port(olist_home, monkeypatch) -> None:
    from olist_dw.docs_site import docs_url
    from olist_dw.settings import get_settings

    monkeypatch.setenv("OLIST_DOCS_PORT", "9123")
    monkeypatch.setenv("OLIST_BIND_HOST", "0.0.0.0")
    assert docs_url(get_settings()) == "http://127.0.0.1:9123/"


def test_local_airflow_gives_cosmos_the_built_docs(olist_home, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from olist_dw.airflow_local import airflow_env
    from olist_dw.docs_site import docs_dir
    from olist_dw.settings import get_settings

    settings = get_settings()
    directory = docs_dir(settings)
    directory.mkdir(parents=True)
    (directory / "index.html").write_text("<html><head></head><body>olist dbt docs</body></html>")
    (directory / "manifest.json").write_text('{"nodes": {"model.olist.fct_orders": {}}}')
    monkeypatch.delenv("AIRFLOW__COSMOS__DBT_DOCS_PROJECTS", raising=False)
    monkeypatch.setenv(
        "AIRFLOW__COSMOS__DBT_DOCS_PROJECTS", airflow_env(settings)["AIRFLOW__COSMOS__DBT_DOCS_PROJECTS"]
    )

    from cosmos.plugin.airflow3 import CosmosAF3Plugin, create_cosmos_fastapi_app

    client = TestClient(create_cosmos_fastapi_app())
    page = client.get("/olist/dbt_docs_index.html")
    assert page.status_code == 200 and "olist dbt docs" in page.text
    assert client.get("/olist/manifest.json").json() == {"nodes": {"model.olist.fct_orders": {}}}
    views = CosmosAF3Plugin().external_views
    assert {"name": "dbt Docs", "category": "Browse", "href": "/cosmos/olist/dbt_docs_index.html"} in views
