"""What the data-health page shows, as DataFrames and dicts (no Streamlit here): every reader is read-only.

- DAG runs: Airflow's REST API (`GET /api/v2/dags`, `GET /api/v2/dags/{dag_id}/dagRuns`), logged in as the
  simple auth manager's generated user (its password file under AIRFLOW_HOME), GET requests only.
- dbt tests of the last build: `<OLIST_HOME>/dbt-artifacts/<dag_id>/run_results.json` (olist_dw.dbt_artifacts).
- Quarantined rows: the lake's `quarantine/<table>/report.json` and `quarantine/broken_keys.json`
  (olist_dw.batch.validate); dead-lettered events: `bronze-sim-errors/**/*.jsonl` (olist_dw.sim.dead_letter).
- Freshness of `realtime.gold_sim`: its newest `_silver_loaded_at` in the serving snapshot, through the
  dashboard's read-only connection helper (never the build file, never a lock the pipeline needs).
- Recent alerts: `<OLIST_HOME>/alerts/alerts.jsonl`, one JSON object a line, read tolerantly here (a line
  being appended, or in an older layout, is skipped and counted, never an error).

A missing source (Airflow stopped, no build yet, no alerts) is a state the page explains, not an exception.
"""

from __future__ import annotations

import configparser
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from olist_dw.dbt_artifacts import RUN_INFO, RUN_RESULTS, artifacts_root
from olist_dw.lake import QUARANTINE, Lake
from olist_dw.settings import Settings

BRONZE_SIM_ERRORS = "bronze-sim-errors"  # olist_dw.sim.dead_letter.BRONZE_SIM_ERRORS (not imported: no jsonschema)
BROKEN_KEYS = f"{QUARANTINE}/broken_keys.json"
ALERT_FIELDS = ("at", "kind", "severity", "dag_id", "task_id", "run_id", "message")
# Until OLIST_GOLD_SIM_STALE_SECONDS exists in the settings (the freshness check's threshold), the page uses this.
DEFAULT_GOLD_SIM_STALE_SECONDS = 900.0  # its default there
AIRFLOW_TIMEOUT_SECONDS = 3.0
RUNS_PER_DAG = 5

RUN_COLUMNS = ["dag_id", "run_id", "state", "run_type", "start_date", "end_date", "duration_seconds"]
TEST_COLUMNS = ["dag_id", "test", "status", "failures", "message", "unique_id"]
QUARANTINE_COLUMNS = ["file", "table", "reason", "rows"]
DEAD_LETTER_COLUMNS = ["arrived_at", "reason", "detail", "sequence_number", "file"]


# --- Airflow's DAG runs --------------------------------------------------------------------------------
def airflow_api_url(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """Where the local Airflow's API server listens: OLIST_BIND_HOST and Airflow's own [api] port setting
    (AIRFLOW__API__PORT, else airflow.cfg under AIRFLOW_HOME, else Airflow's default 8080)."""
    environ = os.environ if environ is None else environ
    port = environ.get("AIRFLOW__API__PORT")
    config_file = settings.airflow_home / "airflow.cfg"
    if not port and config_file.is_file():
        config = configparser.ConfigParser(interpolation=None)
        try:
            config.read(config_file)
            port = config.get("api", "port", fallback=None)
        except configparser.Error:
            port = None
    return f"http://{settings.client_host}:{(port or '8080').strip()}"


@dataclass(frozen=True)
class AirflowRuns:
    """The last runs of every DAG, or why they cannot be read (`reachable` False, `message` says why)."""

    url: str
    reachable: bool
    message: str
    runs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RUN_COLUMNS))
    paused: dict[str, bool] = field(default_factory=dict)

    def last_runs(self) -> pd.DataFrame:
        """One row per DAG: its latest run (state, duration) and whether it is paused; DAGs without runs too."""
        latest = self.runs.drop_duplicates("dag_id") if not self.runs.empty else self.runs
        table = pd.DataFrame({"dag_id": sorted(self.paused)}).merge(latest, on="dag_id", how="outer")
        table["paused"] = table["dag_id"].map(self.paused)
        return table[["dag_id", "paused", "state", "duration_seconds", "start_date", "run_id"]]


def _generated_login(settings: Settings) -> tuple[str, str] | None:
    """A user and password from the simple auth manager's generated file (None: no such file)."""
    path = settings.airflow_home / "simple_auth_manager_passwords.json.generated"
    try:
        users = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(users, dict) or not users:
        return None
    user = "admin" if "admin" in users else sorted(users)[0]
    return user, str(users[user])


# Tokens by (API URL, user, password): the page refreshes every few seconds and a token lasts far longer.
_TOKENS: dict[tuple[str, str, str], str] = {}


def _auth_headers(client: httpx.Client, url: str, login: tuple[str, str] | None, fresh: bool) -> dict[str, str]:
    if login is None:
        return {}
    key = (url, *login)
    if fresh or key not in _TOKENS:
        _TOKENS.pop(key, None)
        reply = client.post("/auth/token", json={"username": login[0], "password": login[1]})
        if reply.status_code not in (200, 201):
            return {}
        _TOKENS[key] = reply.json()["access_token"]
    return {"Authorization": f"Bearer {_TOKENS[key]}"}


def _runs_frame(dag_runs: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        {
            "dag_id": run.get("dag_id"),
            "run_id": run.get("dag_run_id"),
            "state": run.get("state"),
            "run_type": run.get("run_type"),
            "start_date": pd.to_datetime(run.get("start_date"), utc=True),
            "end_date": pd.to_datetime(run.get("end_date"), utc=True),
            "duration_seconds": run.get("duration"),
        }
        for run in dag_runs
    ]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def dag_runs(
    settings: Settings, runs_per_dag: int = RUNS_PER_DAG, url: str | None = None, transport=None
) -> AirflowRuns:
    """The last `runs_per_dag` runs of every DAG, newest first, from Airflow's REST API (GET requests only)."""
    url = url or airflow_api_url(settings)
    not_running = f"Airflow is not running at {url}: start it with `make airflow`, then reload this page"
    with httpx.Client(base_url=url, timeout=AIRFLOW_TIMEOUT_SECONDS, transport=transport) as client:
        try:
            client.get("/api/v2/monitor/health")  # no login needed: is anything there at all?
        except httpx.HTTPError:
            return AirflowRuns(url, False, not_running)
        login = _generated_login(settings)
        try:
            headers = _auth_headers(client, url, login, fresh=False)
            dags = client.get("/api/v2/dags", params={"limit": 100, "order_by": "dag_id"}, headers=headers)
            if dags.status_code == 401 and login is not None:  # the cached token expired or Airflow restarted
                headers = _auth_headers(client, url, login, fresh=True)
                dags = client.get("/api/v2/dags", params={"limit": 100, "order_by": "dag_id"}, headers=headers)
            if dags.status_code in (401, 403):
                where = settings.airflow_home / "simple_auth_manager_passwords.json.generated"
                return AirflowRuns(
                    url, False, f"Airflow at {url} refused the login (HTTP {dags.status_code}; password file {where})"
                )
            dags.raise_for_status()
            paused = {d["dag_id"]: bool(d.get("is_paused")) for d in dags.json().get("dags", [])}
            runs: list[dict[str, Any]] = []
            for dag_id in paused:
                reply = client.get(
                    f"/api/v2/dags/{dag_id}/dagRuns",
                    params={"limit": runs_per_dag, "order_by": "-run_after"},
                    headers=headers,
                )
                reply.raise_for_status()
                runs.extend(reply.json().get("dag_runs", []))
        except httpx.HTTPError as err:
            return AirflowRuns(url, False, f"Airflow at {url} did not answer as expected: {err}")
    return AirflowRuns(url, True, f"{len(paused)} DAGs at {url}", _runs_frame(runs), paused)


# --- dbt tests of the last build ------------------------------------------------------------------------
@dataclass(frozen=True)
class DbtBuilds:
    """Per DAG, the last build's summary (`builds`) and every test it ran (`tests`); `problems` names the
    artifact files that could not be read."""

    builds: pd.DataFrame
    tests: pd.DataFrame
    problems: list[str]

    def failed_tests(self) -> pd.DataFrame:
        return self.tests[self.tests["status"].isin(["fail", "error"])]


def _test_name(unique_id: str) -> str:
    # test.<project>.<test name>.<hash>: the name says what is checked (e.g. unique_fct_orders_order_id).
    parts = unique_id.split(".")
    return parts[2] if len(parts) >= 3 else unique_id


def dbt_builds(settings: Settings) -> DbtBuilds:
    """The dbt builds kept by olist_dw.dbt_artifacts, one per DAG (the batch's and the micro-batch's)."""
    builds: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    problems: list[str] = []
    root = artifacts_root(settings)
    for results_path in sorted(root.glob(f"*/{RUN_RESULTS}")) if root.is_dir() else []:
        dag_id = results_path.parent.name
        try:
            results = json.loads(results_path.read_text())
            nodes = results["results"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            problems.append(f"{results_path}: not a dbt run_results.json ({err})")
            continue
        try:
            run_info = json.loads((results_path.parent / RUN_INFO).read_text())
        except (OSError, ValueError):
            run_info = {}
        statuses: dict[str, int] = {}
        models_failed = 0
        for node in nodes:
            unique_id = str(node.get("unique_id", ""))
            if not unique_id.startswith("test."):
                models_failed += node.get("status") == "error"
                continue
            status = str(node.get("status"))
            statuses[status] = statuses.get(status, 0) + 1
            tests.append(
                {
                    "dag_id": dag_id,
                    "test": _test_name(unique_id),
                    "status": status,
                    "failures": node.get("failures"),
                    "message": node.get("message"),
                    "unique_id": unique_id,
                }
            )
        builds.append(
            {
                "dag_id": dag_id,
                "generated_at": pd.to_datetime(results.get("metadata", {}).get("generated_at"), utc=True),
                "run_id": run_info.get("run_id"),
                "elapsed_seconds": results.get("elapsed_time"),
                "nodes": len(nodes),
                "tests": sum(statuses.values()),
                "tests_passed": statuses.get("pass", 0),
                "tests_failed": statuses.get("fail", 0) + statuses.get("error", 0),
                "tests_warned": statuses.get("warn", 0),
                "tests_skipped": statuses.get("skipped", 0),  # after a failure upstream
                "models_failed": models_failed,
            }
        )
    return DbtBuilds(pd.DataFrame(builds), pd.DataFrame(tests, columns=TEST_COLUMNS), problems)


# --- the lake: quarantined rows and dead letters -----------------------------------------------------
@dataclass(frozen=True)
class Quarantine:
    """Rows validate left out: per file (`files`), per file and reason (`by_reason`), broken keys per
    table and column (`broken_keys`); `problems` names the reports that could not be read."""

    files: pd.DataFrame
    by_reason: pd.DataFrame
    broken_keys: pd.DataFrame
    problems: list[str]


def quarantine(lake: Lake) -> Quarantine:
    files: list[dict[str, Any]] = []
    reasons: list[dict[str, Any]] = []
    problems: list[str] = []
    for key in lake.list_keys(f"{QUARANTINE}/"):
        if not key.endswith("/report.json") or key.count("/") != 2:  # quarantine/<table>/report.json
            continue
        try:
            report = json.loads(lake.read_bytes(key))
            file, rejected = str(report["file"]), int(report["rejected"])
            counts = dict(report.get("reasons") or {})
        except (OSError, ValueError, KeyError, TypeError) as err:
            problems.append(f"{lake.uri(key)}: not a quarantine report ({err})")
            continue
        files.append(
            {
                "file": file,
                "table": report.get("table"),
                "rows": report.get("rows"),
                "rejected": rejected,
                "quarantine": report.get("quarantine"),
            }
        )
        reasons.extend(
            {"file": file, "table": report.get("table"), "reason": reason, "rows": int(count)}
            for reason, count in counts.items()
        )
    broken = []
    try:
        keys = json.loads(lake.read_bytes(BROKEN_KEYS))
        for table, columns in (keys or {}).items():
            for column, values in (columns or {}).items():
                broken.append({"table": table, "column": column, "broken_keys": len(values or [])})
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError, TypeError) as err:
        problems.append(f"{lake.uri(BROKEN_KEYS)}: not a broken-keys file ({err})")
    by_reason = pd.DataFrame(reasons, columns=QUARANTINE_COLUMNS)
    if not by_reason.empty:
        by_reason = by_reason.sort_values(["rows", "file"], ascending=[False, True], ignore_index=True)
    return Quarantine(
        pd.DataFrame(files, columns=["file", "table", "rows", "rejected", "quarantine"]),
        by_reason,
        pd.DataFrame(broken, columns=["table", "column", "broken_keys"]),
        problems,
    )


@dataclass(frozen=True)
class DeadLetters:
    """Every dead-lettered event (`events`, newest first) and how many lines could not be read."""

    events: pd.DataFrame
    unreadable_lines: int

    def by_reason(self) -> pd.DataFrame:
        if self.events.empty:
            return pd.DataFrame(columns=["reason", "events"])
        counts = self.events.groupby("reason").size().rename("events").reset_index()
        return counts.sort_values(["events", "reason"], ascending=[False, True], ignore_index=True)


def dead_letters(lake: Lake) -> DeadLetters:
    rows: list[dict[str, Any]] = []
    unreadable = 0
    for key in lake.list_keys(f"{BRONZE_SIM_ERRORS}/"):
        if not key.endswith(".jsonl"):
            continue
        for line in lake.read_bytes(key).decode("utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                rows.append({name: record.get(name) for name in DEAD_LETTER_COLUMNS[:-1]} | {"file": key})
            except (ValueError, AttributeError):
                unreadable += 1
    events = pd.DataFrame(rows, columns=DEAD_LETTER_COLUMNS)
    if not events.empty:
        events["arrived_at"] = pd.to_datetime(events["arrived_at"], utc=True, errors="coerce", format="ISO8601")
        events = events.sort_values("arrived_at", ascending=False, ignore_index=True)
    return DeadLetters(events, unreadable)


# --- freshness of gold_sim ------------------------------------------------------------------------
def gold_sim_stale_seconds(settings: Settings) -> float:
    """The age past which gold_sim is stale: OLIST_GOLD_SIM_STALE_SECONDS where the settings have it."""
    return float(getattr(settings, "gold_sim_stale_seconds", DEFAULT_GOLD_SIM_STALE_SECONDS))


def gold_sim_freshness(stale_after_seconds: float, path: Path | None = None, now: datetime | None = None) -> dict:
    """Age of the newest row of the published realtime.gold_sim: {"published", "rows", "newest_loaded_at",
    "age_seconds", "stale", "stale_after_seconds"}; "published" False when the snapshot or the table is absent.

    `_silver_loaded_at` is dbt's `current_timestamp` cast to a timestamp without zone, so the age is taken
    in DuckDB the same way (unless `now`, a UTC time, is given): the reader's and the writer's zones match."""
    from olist_dw.dashboard import queries

    result: dict[str, Any] = {"published": False, "rows": 0, "newest_loaded_at": None, "age_seconds": None}
    result.update(stale=None, stale_after_seconds=stale_after_seconds)
    if queries.missing_tables([queries.REALTIME_TABLE], path=path):
        return result
    row = queries.run_sql(
        "select count(*) as n, max(_silver_loaded_at) as newest, "
        "epoch(cast(current_timestamp as timestamp)) - epoch(max(_silver_loaded_at)) as age "
        f"from {queries.REALTIME_TABLE}",
        path=path,
    ).iloc[0]
    result.update(published=True, rows=int(row["n"]))
    if pd.isna(row["newest"]):
        return result
    newest = pd.Timestamp(row["newest"]).to_pydatetime()
    age = (now.astimezone(UTC).replace(tzinfo=None) - newest).total_seconds() if now else float(row["age"])
    result.update(newest_loaded_at=newest, age_seconds=age, stale=age > stale_after_seconds)
    return result


# --- recent alerts ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Alerts:
    path: Path
    alerts: pd.DataFrame  # newest first
    unreadable_lines: int


def recent_alerts(settings: Settings, limit: int = 50) -> Alerts:
    """The last `limit` alerts of the alerts file, newest first; no file means no alerts."""
    path = settings.alerts_path
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        lines = []
    rows: list[dict[str, Any]] = []
    unreadable = 0
    for line in reversed(lines):
        if len(rows) >= limit:
            break
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            rows.append({name: record.get(name) for name in ALERT_FIELDS})
        except (ValueError, AttributeError):
            unreadable += 1  # e.g. a line being written right now
    frame = pd.DataFrame(rows, columns=ALERT_FIELDS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True, errors="coerce", format="ISO8601")
    return Alerts(path, frame, unreadable)
