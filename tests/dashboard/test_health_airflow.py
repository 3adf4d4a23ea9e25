"""The page's DAG runs against a real Airflow 3 API server (`airflow api-server` on a free localhost port, the
project's DAGs serialized into a fresh SQLite metadata DB): the reader logs in with the generated password and
lists every DAG of the project and the run the test triggered."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from olist_dw.airflow_local import airflow_env, airflow_executable, ensure_airflow_db, run_airflow
from olist_dw.dashboard import health
from olist_dw.settings import PROJECT_ROOT, get_settings
from tests.dashboard.browser_helpers import free_port

pytestmark = pytest.mark.e2e


def test_dag_runs_from_a_real_api_server(olist_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from olist_dw.dbt_runner import MANIFEST_PATH, build_manifest
    from olist_dw.targets import get_target

    port = free_port()
    monkeypatch.setenv("AIRFLOW__API__PORT", str(port))
    settings = get_settings()
    if not MANIFEST_PATH.exists():
        build_manifest(get_target(settings))
    ensure_airflow_db(settings)
    run_airflow(["dags", "reserialize"], settings, capture_output=True)  # what the dag-processor would store
    log = tmp_path / "api-server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [airflow_executable(), "api-server", "--host", "127.0.0.1", "--port", str(port)],
            env=airflow_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(1)
        # The test's own setup: one run of olist_batch, as the UI's Trigger button asks for it (no scheduler
        # runs here, so it stays queued).
        password = json.loads((settings.airflow_home / "simple_auth_manager_passwords.json.generated").read_text())
        token = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": password["admin"]}).json()
        triggered = httpx.post(
            f"{url}/api/v2/dags/olist_batch/dagRuns",
            json={"logical_date": None},
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert triggered.status_code == 200, triggered.text

        runs = health.dag_runs(settings)

        assert runs.reachable, runs.message
        assert runs.url == url
        project_dags = {p.stem for p in (PROJECT_ROOT / "dags").glob("*.py")}
        assert set(runs.paused) == project_dags
        assert runs.runs[["dag_id", "run_id", "state"]].values.tolist() == [
            ["olist_batch", triggered.json()["dag_run_id"], "queued"]
        ]
        last = runs.last_runs().set_index("dag_id")
        assert last.loc["olist_batch", "state"] == "queued" and last["state"].isna().sum() == len(project_dags) - 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
