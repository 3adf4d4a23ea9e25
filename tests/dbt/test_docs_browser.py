"""The dbt docs in a real browser: built on a small warehouse, served by olist_dw.docs_site on a free localhost
port, opened in Debian's headless Chromium (the machine has no internet: the site must need nothing from it)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.dbt.dbt_helpers import BuiltWarehouse

pytestmark = pytest.mark.browser


def is_uninterpolated_template(url: str) -> bool:
    """dbt-core 1.11's index.html asks for two literal templates: the sidebar's `<img src="{{ getIcon(...) }}">`
    (not ng-src: fetched before Angular fills it in) and a favicon link `${require('./assets/favicons/...')}` its
    bundler left in. Bugs of the shipped page (404 from any server), not a resource this site lacks."""
    path = unquote(urlsplit(url).path)
    return "{{" in path or "${require(" in path


@pytest.fixture(scope="module")
def built_docs(built_warehouse: BuiltWarehouse):
    from olist_dw.docs_site import build_docs
    from olist_dw.settings import Settings

    saved_env = dict(os.environ)  # run_dbt exports the profile's variables
    try:
        build = build_docs(Settings(home=built_warehouse.home, target="local"))
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
    return build


@pytest.fixture
def docs_url(built_docs) -> Iterator[str]:
    from olist_dw.docs_site import docs_server

    server = docs_server(built_docs.directory, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_docs_show_the_lineage_graph_and_a_marts_columns_with_catalog_types(
    built_docs, docs_url, browser, tmp_path: Path
) -> None:
    assert built_docs.with_catalog, built_docs.note
    catalog = json.loads((built_docs.directory / "catalog.json").read_text())
    assert "model.olist.fct_orders" in catalog["nodes"], "the catalog was not read from the built warehouse"

    page = browser.new_page()
    failed: list[str] = []
    outside: list[str] = []
    page.on(
        "requestfailed",
        lambda request: (
            None if is_uninterpolated_template(request.url) else failed.append(f"{request.url} ({request.failure})")
        ),
    )
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.url} (HTTP {response.status})")
            if response.status >= 400 and not is_uninterpolated_template(response.url)
            else None
        ),
    )
    page.on(
        "request",
        lambda request: None if urlsplit(request.url).hostname in ("127.0.0.1", None) else outside.append(request.url),
    )
    page.set_default_timeout(30_000)

    page.goto(f"{docs_url}#!/model/model.olist.fct_orders")
    columns = page.locator(".table tbody tr td:first-child")
    columns.filter(has_text="order_status").first.wait_for()
    names = {text.strip() for text in columns.all_inner_texts()}
    assert {"order_id", "order_status", "customer_id"} <= names, names
    # Column types come from the catalog, i.e. from the warehouse (an empty catalog shows none).
    fct_orders_columns = catalog["nodes"]["model.olist.fct_orders"]["columns"]
    type_of_status = next(c["type"] for name, c in fct_orders_columns.items() if name.lower() == "order_status")
    assert page.locator(".table tbody tr", has_text="order_status").first.inner_text().count(type_of_status) >= 1

    # The exposure is documented too.
    page.goto(f"{docs_url}#!/exposure/exposure.olist.sales_dashboard")
    page.get_by_text("Olist sales dashboard").first.wait_for()

    # The lineage graph of fct_orders: the launcher opens it, cytoscape draws on canvases.
    page.goto(f"{docs_url}#!/model/model.olist.fct_orders")
    page.locator('[title="View Lineage Graph"]').first.click()
    page.wait_for_function(
        "[...document.querySelectorAll('canvas')].some(c => c.width > 0 && c.height > 0 && c.offsetParent !== null)"
    )
    page.screenshot(path=str(tmp_path / "dbt-docs-lineage.png"))

    assert not failed, f"requests failed: {failed}"
    assert not outside, f"the docs asked for something off this machine: {outside}"


def test_dashboard_sidebar_links_to_the_docs_once_they_are_built(browser, tmp_path: Path) -> None:
    from olist_dw.docs_site import docs_url
    from olist_dw.settings import Settings
    from tests.dashboard.bi_fixture import build_serving_file
    from tests.dashboard.browser_helpers import serve_dashboard

    home = tmp_path / "home"
    build_serving_file(home / "serving" / "analytics.duckdb")
    with serve_dashboard(home, tmp_path / "streamlit.log") as url:
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(url)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Snapshot:").wait_for()
        assert sidebar.get_by_role("link", name="dbt docs").count() == 0  # nothing to point at yet

        docs = home / "dbt-docs"  # what `make docs` leaves behind
        docs.mkdir()
        for name in ("index.html", "manifest.json", "catalog.json"):
            (docs / name).write_text("{}")
        page.reload()
        link = sidebar.get_by_role("link", name="dbt docs: models, columns, lineage")
        link.wait_for()
        assert link.get_attribute("href") == docs_url(Settings(home=home))  # http://127.0.0.1:8580/ by default
