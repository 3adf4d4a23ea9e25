"""The Streamlit page run in-process (streamlit.testing): the built, not-built and no-realtime pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from olist_dw.dashboard.server import APP_PATH
from tests.dashboard.bi_fixture import build_serving_file


def run_page() -> AppTest:
    page = AppTest.from_file(str(APP_PATH), default_timeout=60)
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def texts(page: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("warning", "info", "markdown", "code") for e in getattr(page, kind))


def test_not_built_page_says_what_to_run(olist_home: Path) -> None:
    page = run_page()
    assert "has not been built yet" in page.warning[0].value
    assert "make demo" in texts(page)
    assert not page.metric  # nothing pretends to be data


def test_snapshot_without_batch_tables_names_them(olist_home: Path) -> None:
    from olist_dw.settings import get_settings

    build_serving_file(get_settings().serving_path, batch=False)
    page = run_page()
    assert "gold.daily_revenue_by_state" in texts(page)
    assert page.metric  # the live panel still shows the simulator's orders


def test_missing_realtime_schema_shows_a_hint_and_the_batch_panels(olist_home: Path) -> None:
    from olist_dw.settings import get_settings

    build_serving_file(get_settings().serving_path, realtime=False)
    page = run_page()
    assert any("No real-time tables published yet" in i.value for i in page.info)
    assert page.metric[0].value == "354"


def test_built_page_shows_the_fixture_kpis(serving_file: Path) -> None:
    page = run_page()
    values = {m.label: m.value for m in page.metric}
    assert values["Orders"] == "354"
    assert values["Revenue"] == "R$ 31,314.25"
    assert values["Average ticket"] == "R$ 88.46"
    assert values["On-time delivery"] == "87.5%"
    assert values["Simulated orders (all days)"] == "9"
    assert not page.warning


def test_state_filter_changes_the_kpis(serving_file: Path) -> None:
    page = run_page()
    page.sidebar.multiselect[0].set_value(["RJ"]).run()
    assert not page.exception
    assert page.metric[0].value == str(2 * 59)
    assert page.metric[3].value == "85.0%"


@pytest.mark.parametrize("port", [None, 8600])
def test_cli_serves_headless_without_usage_stats(monkeypatch: pytest.MonkeyPatch, olist_home: Path, port) -> None:
    import subprocess

    from olist_dw.cli import main

    seen: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, check: seen.append(cmd) or subprocess.CompletedProcess(cmd, 0))
    monkeypatch.setenv("OLIST_DASHBOARD_PORT", "8511")
    assert main(["dashboard"] + (["--port", str(port)] if port else [])) == 0
    command = " ".join(seen[0])
    assert f"--server.port {port or 8511}" in command
    assert "--server.headless true" in command and "--browser.gatherUsageStats false" in command
    assert "--server.enableStaticServing true" in command and str(APP_PATH) in command


def test_demo_ends_by_saying_how_to_open_the_dashboard_and_airflow(olist_home: Path, capsys) -> None:
    from olist_dw.cli.demo import where_to_look
    from olist_dw.settings import get_settings

    where_to_look(get_settings())
    out = capsys.readouterr().out
    assert "make dashboard" in out and "http://localhost:8501" in out
    assert "make airflow" in out and "http://localhost:8080" in out
