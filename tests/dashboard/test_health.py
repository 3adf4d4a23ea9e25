"""The data-health page's readers (olist_dw.dashboard.health) on a home with failures of every kind, without a
browser: dbt's kept run results, the quarantine reports, dead letters, gold_sim's age, alerts, Airflow's runs."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import httpx
import pytest

from olist_dw.dashboard import health
from olist_dw.lake import LocalLake
from olist_dw.settings import get_settings
from tests.dashboard.health_fixture import (
    ALERT_MESSAGE,
    DEAD_LETTER_REASONS,
    FAILED_TEST,
    GOLD_SIM_LOADED_AT,
    QUARANTINED,
    STALE_NOW,
    build_health_home,
    stale_gold_sim,
)

# GET /api/v2/dags/olist_batch/dagRuns of a real Airflow 3.3 API server (a failed olist_batch run), verbatim.
REAL_DAG_RUNS = {
    "dag_runs": [
        {
            "dag_run_id": "manual__2026-12-02T18:31:49.362883+00:00",
            "dag_id": "olist_batch",
            "logical_date": "2026-12-02T18:31:46.804864Z",
            "queued_at": None,
            "start_date": "2026-12-02T18:31:46.804864Z",
            "end_date": "2026-12-02T18:33:12.715830Z",
            "duration": 85.910966,
            "data_interval_start": "2026-12-02T18:31:46.804864Z",
            "data_interval_end": "2026-12-02T18:31:46.804864Z",
            "run_after": "2026-12-02T18:31:49.362883Z",
            "last_scheduling_decision": "2026-12-02T18:33:12.662691Z",
            "run_type": "manual",
            "state": "failed",
            "triggered_by": "test",
            "triggering_user_name": "dag_test",
            "conf": {},
            "note": None,
            "dag_versions": [],
            "bundle_version": None,
            "dag_display_name": "olist_batch",
            "partition_key": None,
            "partition_date": None,
        }
    ],
    "total_entries": 1,
    "total_entries_limit": None,
    "next_cursor": None,
    "previous_cursor": None,
}


@pytest.fixture
def health_home(olist_home: Path) -> Path:
    return build_health_home(olist_home)


def test_dbt_builds_name_the_failed_test_of_the_batch_build(health_home: Path) -> None:
    builds = health.dbt_builds(get_settings())

    summary = builds.builds.set_index("dag_id")
    counts = ["tests", "tests_passed", "tests_failed", "tests_skipped"]
    assert summary.loc["olist_batch", counts].tolist() == [5, 3, 1, 1]
    assert summary.loc["olist_batch", "run_id"] == "manual__2026-11-25T09:29"
    assert summary.loc["olist_realtime", ["tests", "tests_failed"]].tolist() == [1, 0]
    failed = builds.failed_tests()
    assert failed[["dag_id", "test", "status", "failures"]].values.tolist() == [["olist_batch", FAILED_TEST, "fail", 1]]
    assert failed["message"].iloc[0] == "Got 1 result, configured to fail if != 0"
    assert builds.problems == []


def test_an_unreadable_run_results_file_is_named_and_the_others_still_read(health_home: Path) -> None:
    broken = health_home / "dbt-artifacts" / "olist_realtime" / "run_results.json"
    broken.write_text('{"metadata": ')  # cut short

    builds = health.dbt_builds(get_settings())

    assert builds.builds["dag_id"].tolist() == ["olist_batch"]
    assert len(builds.problems) == 1 and str(broken) in builds.problems[0]


def test_no_build_yet_gives_empty_tables(olist_home: Path) -> None:
    builds = health.dbt_builds(get_settings())
    assert builds.builds.empty and builds.failed_tests().empty and builds.problems == []


def test_quarantine_counts_rows_by_file_and_reason(health_home: Path) -> None:
    found = health.quarantine(LocalLake(get_settings().lake_dir))

    by_reason = {(r.file, r.table, r.reason): r.rows for r in found.by_reason.itertuples()}
    assert by_reason == QUARANTINED
    assert found.by_reason["rows"].tolist() == sorted(QUARANTINED.values(), reverse=True)
    files = found.files.set_index("file")["rejected"].to_dict()
    assert files == {
        "olist_orders_dataset.csv": 5,
        "olist_order_items_dataset.csv": 4,
        "olist_customers_dataset.csv": 0,
    }
    assert found.broken_keys.values.tolist() == [["order_items", "order_id", 4]]
    assert found.problems == []


def test_dead_letters_are_counted_by_reason_newest_first(health_home: Path) -> None:
    letters = health.dead_letters(LocalLake(get_settings().lake_dir))

    assert dict(letters.by_reason().values.tolist()) == DEAD_LETTER_REASONS
    assert letters.events["sequence_number"].tolist() == [103, 102, 101]
    assert letters.events["reason"].iloc[0] == "missing_required_field"
    assert letters.unreadable_lines == 0


def test_gold_sim_older_than_the_threshold_is_stale(health_home: Path) -> None:
    serving = get_settings().serving_path

    stale = health.gold_sim_freshness(900, path=serving, now=STALE_NOW)
    assert stale["published"] and stale["rows"] == 2
    assert stale["newest_loaded_at"] == GOLD_SIM_LOADED_AT
    assert stale["age_seconds"] == 7200 and stale["stale"] is True
    assert health.gold_sim_freshness(7201, path=serving, now=STALE_NOW)["stale"] is False


def test_gold_sim_age_is_taken_in_duckdb_as_dbt_wrote_it(olist_home: Path) -> None:
    # The watermark is dbt's current_timestamp cast to a zone-less timestamp: the age must come out right
    # whatever the zone, so the fixture writes it the same way, two hours ago.
    serving = stale_gold_sim(get_settings().serving_path, loaded_at=None)
    fresh = health.gold_sim_freshness(900, path=serving)
    assert 7200 <= fresh["age_seconds"] < 7260 and fresh["stale"] is True


def test_gold_sim_not_published_yet(olist_home: Path) -> None:
    fresh = health.gold_sim_freshness(900)
    assert fresh["published"] is False and fresh["stale"] is None


def test_stale_threshold_comes_from_the_settings_when_they_have_it(olist_home, monkeypatch) -> None:
    settings = get_settings()
    if not hasattr(settings, "gold_sim_stale_seconds"):
        assert health.gold_sim_stale_seconds(settings) == health.DEFAULT_GOLD_SIM_STALE_SECONDS
        return
    monkeypatch.setenv("OLIST_GOLD_SIM_STALE_SECONDS", "123")
    assert health.gold_sim_stale_seconds(get_settings()) == 123.0


def test_alerts_newest_first_and_a_half_written_line_skipped(health_home: Path) -> None:
    found = health.recent_alerts(get_settings())

    assert found.alerts["kind"].tolist() == ["stale_gold_sim", "task_failed"]
    failed = found.alerts.iloc[1]
    assert failed["message"] == ALERT_MESSAGE and failed["severity"] == "error" and failed["dag_id"] == "olist_batch"
    assert failed["at"] == dt.datetime(2026, 11, 25, 9, 31, tzinfo=dt.UTC)
    assert found.unreadable_lines == 1


def test_no_alerts_file_means_no_alerts(olist_home: Path) -> None:
    found = health.recent_alerts(get_settings())
    assert found.alerts.empty and found.unreadable_lines == 0
    assert found.path == olist_home.resolve() / "alerts" / "alerts.jsonl"


# --- Airflow's REST API ------------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_airflow_not_running_is_a_message_not_an_error(olist_home: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    runs = health.dag_runs(get_settings(), url=url)
    assert runs.reachable is False
    assert runs.message == f"Airflow is not running at {url}: start it with `make airflow`, then reload this page"
    assert runs.runs.empty


GENERATED_PASSWORD = "s3cret"  # pragma: allowlist secret  (a test's throwaway Airflow password)


def _write_generated_password(olist_home: Path, password: str = GENERATED_PASSWORD) -> None:
    folder = olist_home / "airflow"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({"admin": password}))


def test_dag_runs_log_in_with_the_generated_password_and_only_read(olist_home: Path) -> None:
    _write_generated_password(olist_home)
    seen: list[tuple[str, str]] = []

    def airflow(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.url.path == "/api/v2/monitor/health":
            return httpx.Response(200, json={})
        if request.url.path == "/auth/token":
            assert json.loads(request.content) == {"username": "admin", "password": GENERATED_PASSWORD}
            return httpx.Response(201, json={"access_token": "tok"})
        if request.headers.get("Authorization") != "Bearer tok":
            return httpx.Response(401, json={"detail": "Not authenticated"})
        if request.url.path == "/api/v2/dags":
            dags = [{"dag_id": "olist_batch", "is_paused": False}, {"dag_id": "olist_realtime", "is_paused": True}]
            return httpx.Response(200, json={"dags": dags, "total_entries": 2})
        if request.url.path == "/api/v2/dags/olist_batch/dagRuns":
            assert request.url.params["order_by"] == "-run_after" and request.url.params["limit"] == "5"
            return httpx.Response(200, json=REAL_DAG_RUNS)
        return httpx.Response(200, json={"dag_runs": [], "total_entries": 0})

    runs = health.dag_runs(get_settings(), url="http://airflow", transport=httpx.MockTransport(airflow))

    assert runs.reachable, runs.message
    assert {method for method, path in seen if path.startswith("/api/")} == {"GET"}
    assert runs.runs[["dag_id", "state", "duration_seconds"]].values.tolist() == [["olist_batch", "failed", 85.910966]]
    last = runs.last_runs().set_index("dag_id")
    assert last.loc["olist_batch", "state"] == "failed" and not last.loc["olist_batch", "paused"]
    assert last.loc["olist_realtime", "paused"] and last["state"].isna()["olist_realtime"]


def test_a_refused_login_names_the_password_file(olist_home: Path) -> None:
    _write_generated_password(olist_home, "stale")

    def airflow(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(401, json={"detail": "Invalid credentials"})
        return httpx.Response(200 if request.url.path == "/api/v2/monitor/health" else 401, json={})

    runs = health.dag_runs(get_settings(), url="http://airflow", transport=httpx.MockTransport(airflow))
    assert runs.reachable is False
    assert "refused the login (HTTP 401" in runs.message
    assert "simple_auth_manager_passwords.json.generated" in runs.message


def test_api_url_follows_airflows_port_setting(olist_home: Path) -> None:
    settings = get_settings()
    assert health.airflow_api_url(settings, environ={}) == "http://127.0.0.1:8080"
    settings.airflow_home.mkdir(parents=True)
    (settings.airflow_home / "airflow.cfg").write_text("[core]\nexecutor = LocalExecutor\n\n[api]\nport = 8793\n")
    assert health.airflow_api_url(settings, environ={}) == "http://127.0.0.1:8793"
    assert health.airflow_api_url(settings, environ={"AIRFLOW__API__PORT": "9091"}) == "http://127.0.0.1:9091"


def test_alerts_written_by_the_pipelines_notifier_are_read(olist_home: Path) -> None:
    from olist_dw.alerts import Alert, write_alert

    settings = get_settings()
    write_alert(settings, Alert("task_failed", "error", "land failed", dag_id="olist_batch", task_id="land"))
    write_alert(settings, Alert("stale_gold_sim", "warn", "gold_sim is 1000 s old", dag_id="olist_realtime"))

    found = health.recent_alerts(settings)

    assert found.path == settings.alerts_path
    assert found.alerts[["kind", "severity", "dag_id", "message"]].values.tolist() == [
        ["stale_gold_sim", "warn", "olist_realtime", "gold_sim is 1000 s old"],
        ["task_failed", "error", "olist_batch", "land failed"],
    ]
    assert found.alerts["task_id"].isna().tolist() == [True, False] and found.unreadable_lines == 0


def test_quarantine_written_by_the_real_validate_step_is_read_by_file_and_reason(olist_home: Path) -> None:
    from olist_dw.batch.land import land_all
    from olist_dw.batch.validate import validate_all
    from olist_dw.generator import generate

    source = olist_home.parent / "source"
    generate(source, scale=0.01, seed=11, quiet=True)
    orders = source / "olist_orders_dataset.csv"
    lines = orders.read_text().splitlines(keepends=True)

    def unknown_status(line: str, order_id: str) -> str:
        fields = line.split(",")
        fields[0], fields[2] = f'"{order_id}"', "teleported"
        return ",".join(fields)

    orders.write_text("".join([*lines, unknown_status(lines[1], "a" * 32), unknown_status(lines[2], "b" * 32)]))
    items = source / "olist_order_items_dataset.csv"
    item_lines = items.read_text().splitlines(keepends=True)
    orphan = item_lines[1].split(",")
    orphan[0] = '"' + "f" * 32 + '"'  # an order no file has
    items.write_text("".join([*item_lines, ",".join(orphan)]))
    lake = LocalLake(get_settings().lake_dir)
    land_all(lake, source)

    report = validate_all(lake, max_fraction=0.5)
    found = health.quarantine(lake)

    written = {(f["file"], reason): n for f in report["files"] for reason, n in f["reasons"].items()}
    assert {(r.file, r.reason): r.rows for r in found.by_reason.itertuples()} == written
    assert written[("olist_orders_dataset.csv", "order_status: value not allowed")] == 2
    assert written[("olist_order_items_dataset.csv", "order_id: not in olist_orders_dataset.csv")] == 1
    assert found.broken_keys.values.tolist() == [["order_items", "order_id", 1]]
    assert len(found.files) == len(report["files"]) and found.problems == []


def test_the_token_is_reused_across_refreshes_and_renewed_when_refused(olist_home: Path) -> None:
    _write_generated_password(olist_home)
    issued: list[str] = []
    valid: set[str] = set()

    def airflow(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/monitor/health":
            return httpx.Response(200, json={})
        if request.url.path == "/auth/token":
            issued.append(f"tok{len(issued) + 1}")
            valid.add(issued[-1])
            return httpx.Response(201, json={"access_token": issued[-1]})
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in valid:
            return httpx.Response(401, json={"detail": "Not authenticated"})
        return httpx.Response(200, json={"dags": [{"dag_id": "olist_batch", "is_paused": False}], "dag_runs": []})

    transport = httpx.MockTransport(airflow)
    url = f"http://airflow-{olist_home.name}-{id(issued)}"  # a URL no other test used: no cached token
    for _ in range(3):
        assert health.dag_runs(get_settings(), url=url, transport=transport).reachable
    assert issued == ["tok1"]  # one login for three refreshes

    valid.clear()  # Airflow restarted with a new secret: the old token is refused
    runs = health.dag_runs(get_settings(), url=url, transport=transport)
    assert runs.reachable, runs.message
    assert issued == ["tok1", "tok2"]
