"""Live load on the local Airflow: HTTP statuses of the API server with all DAGs live, per metadata database.

Each run starts, in its own OLIST_HOME, the four Airflow components (tests/live/harness.py) on the chosen
metadata database and the dashboard; triggers olist_batch through the REST API as the UI's Trigger button does;
fast-forwards the generator (olist_sim_generator with {"ticks": N}, every --trigger-every seconds, on top of
its minute schedule); and, for --minutes, polls what a user has open: the UI's pages and its REST calls (DAG
list, runs, task instances), the dashboard's page and health, and the dashboard's queries on the published
snapshot. It counts every HTTP status we received and every 5xx line in the api-server's access log (that log
also holds the tasks' execution-API calls), and how the DAG runs ended. Stops everything it started.

    .venv/bin/python bench/live_load.py --db sqlite postgres --runs 3 [--minutes 4] [--ticks 50] [--users 3]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.live.harness import LiveAirflow, free_port, live_home, processes_in_sessions  # noqa: E402

UI_CALLS = (
    ("GET", "/"),  # the UI's page
    ("GET", "/api/v2/dags?limit=50"),
    ("GET", "/api/v2/dags/~/dagRuns?limit=50&order_by=-start_date"),
    ("GET", "/api/v2/dags/olist_batch/dagRuns?limit=25"),
    ("GET", "/api/v2/dags/~/dagRuns/~/taskInstances?limit=50"),
    ("GET", "/ui/dashboard/historical_metrics_data?start_date=2026-01-01T00:00:00Z"),
    ("GET", "/ui/dashboard/dag_stats"),
    ("GET", "/ui/grid/runs/olist_batch?limit=10"),
)


def _dashboard(home: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, OLIST_HOME=str(home), OLIST_TARGET="local")
    return subprocess.Popen(
        [sys.executable, "-m", "olist_dw.cli", "dashboard", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


class Poller(threading.Thread):
    """A user with the UI and the dashboard open: one request after another until stopped."""

    def __init__(self, airflow: LiveAirflow, dashboard_port: int, serving: Path):
        super().__init__(daemon=True)
        self.airflow, self.serving = airflow, serving
        self.dashboard = httpx.Client(base_url=f"http://127.0.0.1:{dashboard_port}", timeout=30)
        self.stopping = threading.Event()
        self.dashboard_statuses: collections.Counter[int] = collections.Counter()
        self.query_errors: collections.Counter[str] = collections.Counter()
        self.queries = 0
        self.transport_errors = 0

    def run(self) -> None:
        from olist_dw.dashboard import queries
        from olist_dw.warehouse import snapshot_files

        while not self.stopping.is_set():
            for method, path in UI_CALLS:
                try:
                    self.airflow.request(method, path)
                except httpx.TransportError:
                    self.transport_errors += 1
            for path in ("/", "/_stcore/health"):
                with contextlib.suppress(httpx.TransportError):
                    self.dashboard_statuses[self.dashboard.get(path).status_code] += 1
            if snapshot_files(self.serving):
                try:
                    queries.realtime_summary(path=self.serving)
                    queries.date_bounds(path=self.serving)
                    self.queries += 1
                except Exception as err:  # noqa: BLE001 (counted: what a reader met)
                    self.query_errors[type(err).__name__] += 1
            time.sleep(0.5)
        self.dashboard.close()


def one_run(db: str, minutes: float, ticks: int, trigger_every: float, users: int, logs: Path) -> dict:
    with live_home(prefix=f"olist-load-{db}-") as home:
        from olist_dw.generator import generate

        generate(home / "source", scale=0.01, seed=11, quiet=True)
        airflow = LiveAirflow(home, env={"OLIST_DELIVERY_BUFFER_SECONDS": "5"}, metadata_db=db)
        dashboard_port = free_port()
        dashboard = None
        pollers: list[Poller] = []
        result: dict = {"db": db}
        started = time.monotonic()
        try:
            airflow.start()
            for dag_id in ("olist_batch", "olist_sim_generator", "olist_sim_delivery", "olist_realtime"):
                airflow.wait_for_dag(dag_id)
            dashboard = _dashboard(home, dashboard_port)
            pollers = [Poller(airflow, dashboard_port, home / "serving" / "analytics.duckdb") for _ in range(users)]
            for poller in pollers:
                poller.start()
            trigger_statuses: collections.Counter[int] = collections.Counter()
            for dag_id, conf in (("olist_batch", None), ("olist_sim_generator", {"ticks": ticks})):
                body = {"logical_date": None, **({"conf": conf} if conf else {})}
                trigger_statuses[airflow.request("POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body).status_code] += 1
            deadline = time.monotonic() + minutes * 60
            next_trigger = time.monotonic() + trigger_every
            while time.monotonic() < deadline:
                airflow._check_alive()
                if time.monotonic() >= next_trigger:
                    body = {"logical_date": None, "conf": {"ticks": ticks}}
                    path = "/api/v2/dags/olist_sim_generator/dagRuns"
                    trigger_statuses[airflow.request("POST", path, json=body).status_code] += 1
                    next_trigger += trigger_every
                time.sleep(1)
            for poller in pollers:
                poller.stopping.set()
                poller.join(timeout=60)
            runs = airflow.dag_runs()
            tis = airflow.task_instances()
            result.update(
                {
                    "seconds": time.monotonic() - started,
                    "triggers": dict(trigger_statuses),
                    "runs": collections.Counter(f"{r['dag_id']}:{r['state']}" for r in runs),
                    "retried": sorted({f"{t['dag_id']}.{t['task_id']}" for t in tis if (t["try_number"] or 0) > 1}),
                    "lock_errors": len(airflow.task_log_lock_errors()),
                }
            )
        finally:
            for poller in pollers:
                poller.stopping.set()
            if dashboard is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(dashboard.pid, 9)
                dashboard.wait()
            left = airflow.stop()
            if dashboard is not None:
                left += processes_in_sessions({dashboard.pid})
            logs.mkdir(parents=True, exist_ok=True)
            kept = logs / f"{db}-{time.strftime('%H%M%S')}"
            shutil.copytree(airflow.log_dir, kept, dirs_exist_ok=True)
            result["logs"] = str(kept)
        result.update(
            {
                "statuses": dict(sorted(airflow.statuses.items())),
                "server_errors": airflow.server_errors[:5],
                "api_log_5xx": airflow.api_server_5xx_lines(),
                "dashboard_statuses": dict(sum((p.dashboard_statuses for p in pollers), collections.Counter())),
                "dashboard_queries": sum(p.queries for p in pollers),
                "query_errors": dict(sum((p.query_errors for p in pollers), collections.Counter())),
                "transport_errors": sum(p.transport_errors for p in pollers),
                "left_running": left,
            }
        )
        return result


def report(result: dict) -> None:
    fives = sum(n for code, n in result["statuses"].items() if code >= 500)
    print(f"== {result['db']}: {result.get('seconds', 0):.0f} s")
    print(f"  HTTP statuses we received   {result['statuses']}  -> 5xx: {fives}")
    print(f"  api-server access-log 5xx   {len(result['api_log_5xx'])}")
    for line in result["api_log_5xx"][:5] + result["server_errors"][:5]:
        print(f"    {line}")
    print(f"  triggers (POST dagRuns)     {result.get('triggers')}")
    print(f"  DAG runs                    {dict(sorted(result.get('runs', {}).items()))}")
    print(f"  tasks retried               {result.get('retried')}")
    print(f"  task-log lock errors        {result.get('lock_errors')}")
    print(
        f"  dashboard                   HTTP {result['dashboard_statuses']}, {result['dashboard_queries']} query "
        f"rounds, errors {result['query_errors']}; transport errors {result['transport_errors']}"
    )
    print(f"  processes left running      {result['left_running']}")
    print(f"  component logs              {result.get('logs')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--runs", type=int, default=1, help="runs per database (they alternate)")
    parser.add_argument("--minutes", type=float, default=4, help="load time of a run, after the DAGs are parsed")
    parser.add_argument("--ticks", type=int, default=50, help="ticks per generator trigger")
    parser.add_argument("--trigger-every", type=float, default=15, help="seconds between generator triggers")
    parser.add_argument("--users", type=int, default=3, help="concurrent pollers of the UI and the dashboard")
    parser.add_argument("--logs", type=Path, default=Path(tempfile.gettempdir()) / "olist-live-load-logs")
    args = parser.parse_args()
    os.environ.update({"DO_NOT_TRACK": "1", "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False"})
    print(f"cores: {os.cpu_count()} (shared with other work: figures are pessimistic)")
    totals: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for run in range(args.runs):
        for db in args.db:
            print(f"-- run {run + 1}/{args.runs} on {db} ...", flush=True)
            result = one_run(db, args.minutes, args.ticks, args.trigger_every, args.users, args.logs)
            report(result)
            fives = sum(n for code, n in result["statuses"].items() if code >= 500)
            totals[db].update({"runs": 1, "5xx received": fives, "5xx in api log": len(result["api_log_5xx"])})
            sys.stdout.flush()
    print("== totals")
    for db, total in totals.items():
        print(f"  {db:9} {dict(total)}")


if __name__ == "__main__":
    main()
