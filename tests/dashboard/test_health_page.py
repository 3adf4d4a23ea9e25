"""The "Data health" page run in-process (streamlit.testing): every failure of the fixture is on it, Airflow's
absence is a message, and an empty home says what has not run yet; the sales page stays the default."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from olist_dw.dashboard.server import APP_PATH
from tests.dashboard.health_fixture import ALERT_MESSAGE, FAILED_TEST, QUARANTINED, build_health_home


@pytest.fixture
def no_airflow(monkeypatch: pytest.MonkeyPatch) -> int:
    """Airflow's API port set to a port nothing listens on (whatever runs on 8080 here)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AIRFLOW__API__PORT", str(port))
    return port


def run_health_page() -> AppTest:
    page = AppTest.from_file(str(APP_PATH), default_timeout=60)
    page.run()
    page.switch_page("health_page.py").run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def table_with_columns(page: AppTest, columns: list[str]):
    tables = [page.table[i].value for i in range(len(page.table))]
    matching = [t for t in tables if list(t.columns) == columns]
    assert len(matching) == 1, [list(t.columns) for t in tables]
    return matching[0]


def page_text(page: AppTest) -> str:
    parts = [
        str(e.value)
        for kind in ("title", "subheader", "warning", "info", "success", "markdown", "caption")
        for e in getattr(page, kind)
    ]
    parts += [m.label + " " + m.value for m in page.metric]
    parts += [page.table[i].value.to_csv() for i in range(len(page.table))]
    return "\n".join(parts)


def test_health_page_shows_every_failure_of_the_fixture(olist_home: Path, no_airflow: int) -> None:
    build_health_home(olist_home)
    page = run_health_page()
    text = page_text(page)

    assert page.title[0].value == "Data health"
    assert f"Airflow is not running at http://127.0.0.1:{no_airflow}" in text
    assert FAILED_TEST in text and "1 failed" in text
    by_reason = table_with_columns(page, ["file", "table", "reason", "rows"])
    assert {(r.file, r.reason): int(r.rows) for r in by_reason.itertuples()} == {
        (file, reason): rows for (file, _, reason), rows in QUARANTINED.items()
    }
    assert {m.label: m.value for m in page.metric}["Dead-lettered events"] == "3"
    assert "malformed_json" in text
    assert "gold_sim is stale" in text
    assert ALERT_MESSAGE in text


def test_empty_home_says_what_has_not_run_yet(olist_home: Path, no_airflow: int) -> None:
    page = run_health_page()
    text = page_text(page)
    assert "No dbt build has run yet" in text
    assert "No validation has run yet" in text
    assert "No dead-lettered event" in text
    assert "realtime.gold_sim is not published yet" in text
    assert "No alerts" in text


def test_sales_stays_the_default_page(olist_home: Path, no_airflow: int) -> None:
    build_health_home(olist_home)
    page = AppTest.from_file(str(APP_PATH), default_timeout=60)
    page.run()
    assert not page.exception
    assert page.title[0].value == "Olist sales analysis"


def test_dag_runs_show_each_dags_last_state_and_duration(olist_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from olist_dw.dashboard import health
    from tests.dashboard.test_health import REAL_DAG_RUNS

    def airflow(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/dags":
            dags = [{"dag_id": "olist_batch", "is_paused": False}, {"dag_id": "olist_realtime", "is_paused": True}]
            return httpx.Response(200, json={"dags": dags, "total_entries": 2})
        if request.url.path == "/api/v2/dags/olist_batch/dagRuns":
            return httpx.Response(200, json=REAL_DAG_RUNS)
        return httpx.Response(200, json={"dag_runs": [], "total_entries": 0})

    real_dag_runs = health.dag_runs
    monkeypatch.setattr(
        health,
        "dag_runs",
        lambda settings: real_dag_runs(settings, url="http://airflow", transport=httpx.MockTransport(airflow)),
    )
    page = run_health_page()

    metrics = {m.label: m.value for m in page.metric}
    assert metrics["olist_batch"] == "failed" and metrics["olist_realtime"] == "no runs yet"
    captions = [c.value for c in page.caption]
    assert "took 1 min 26 s" in captions and "paused · took –" in captions
    runs = table_with_columns(page, ["dag_id", "state", "started", "duration", "run_type", "run_id"])
    assert runs.values.tolist() == [
        [
            "olist_batch",
            "failed",
            "2026-12-02 18:31:46 UTC",
            "1 min 26 s",
            "manual",
            "manual__2026-12-02T18:31:49.362883+00:00",
        ]
    ]
