"""A live local Airflow for tests and benchmarks: the real components (scheduler, dag-processor, triggerer,
api-server) on free 127.0.0.1 ports in their own OLIST_HOME, on the project's PostgreSQL metadata database,
driven through the REST API as the UI drives it, and stopped by process id, task processes included.

Each component runs in its own session (`start_new_session`). Airflow's task supervisor puts every task
runner in a process group of its own (so `killpg` on the component misses it and it outlives a killed
scheduler, re-parented to init), but a process group stays inside its session: `stop` kills every process
whose session is one we started, then checks that none is left.

    with live_home() as home:
        airflow = LiveAirflow(home)
        airflow.start()
        try:
            run = airflow.trigger("olist_batch")
            airflow.wait_for_run("olist_batch", run["dag_run_id"], timeout=300)
        finally:
            airflow.stop()
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")
FINISHED = {"success", "failed"}
# What a task log says when DuckDB's one-writer lock (or SQLite's) got in the way.
TASK_PROCESS_TITLE = re.compile(r"^airflow worker -- ([0-9a-f-]{36})$")
LOCK_ERROR = re.compile(r"Could not set lock on file|Conflicting lock is held|database is locked", re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def live_home(prefix: str = "olist-live-") -> Iterator[Path]:
    """A fresh OLIST_HOME, removed afterwards. Its folder is open to other users (0755): run as root, the
    metadata database's server runs as the `postgres` user, who must reach OLIST_HOME/postgres (pytest's
    own temp folders are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    try:
        yield folder / "home"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def processes_in_sessions(sessions: set[int]) -> list[int]:
    """Live process ids whose session is one of `sessions` (zombies excluded)."""
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, pgrp, session, ...
        if fields[0] != "Z" and int(fields[3]) in sessions:
            found.append(pid)
    return found


class LiveAirflow:
    """The four Airflow components of one OLIST_HOME, a REST client that counts every HTTP status, and
    what a test asserts on (runs, task instances, logs)."""

    def __init__(self, home: Path, env: dict[str, str] | None = None, metadata_db: str = "postgres"):
        self.home = home
        self.extra_env = {"OLIST_HOME": str(home), "OLIST_TARGET": "local", "OLIST_AIRFLOW_DB": metadata_db}
        self.extra_env.update(env or {})
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.sessions: set[int] = set()  # every session we started, the killed components' included
        self.statuses: collections.Counter[int] = collections.Counter()
        self.server_errors: list[str] = []  # "METHOD path -> 500 body" of every 5xx we met
        self.log_dir = home / "live-logs"
        self._token: str | None = None
        self._prepared = False
        self._count_lock = threading.Lock()  # benchmarks call from several threads
        self._env: dict[str, str] | None = None
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)

    # --- environment -------------------------------------------------------------------------------
    def settings(self):
        from olist_dw.settings import Settings

        with _patched_environ(self.extra_env):
            return Settings()

    def env(self) -> dict[str, str]:
        """The components' environment: the project's local Airflow env, on our ports and one JWT secret
        (the scheduler signs task tokens that the api-server checks)."""
        if self._env is None:
            from olist_dw.airflow_local import airflow_env

            with _patched_environ(self.extra_env):
                env = airflow_env(self.settings())
            env.update(
                {
                    "AIRFLOW__API__HOST": "127.0.0.1",
                    "AIRFLOW__API__PORT": str(self.port),
                    # Tasks reach the execution API here, not on the default port 8080.
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
                    "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                    "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                    "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                }
            )
            self._env = env
        return self._env

    def airflow_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [_airflow_executable(), *args], env=self.env(), capture_output=True, text=True, check=check
        )

    # --- lifecycle ---------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Metadata DB (started, migrated) and the warehouse pool, as `olist-dw airflow` does."""
        from olist_dw.airflow_local import ensure_airflow_db

        if not self._prepared:
            with _patched_environ(self.extra_env):
                ensure_airflow_db(self.settings())
            self._prepared = True

    def build_manifest(self) -> None:
        """`make manifest` in this home, as `make airflow` runs before it starts the components: the dbt manifest
        and the partial-parse state for this home's profile, which the first Cosmos build then reuses. The benches
        call it; the tests use the manifest `make test` built (a full parse in their first build)."""
        subprocess.run(
            [sys.executable, "-m", "olist_dw.cli", "dbt-manifest"], env=self.env(), check=True, capture_output=True
        )

    def start(self, components: tuple[str, ...] = COMPONENTS, timeout: float = 180) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        # The api-server first: tasks the scheduler starts call its execution API at once.
        ordered = sorted(components, key=lambda name: name != "api-server")
        for name in ordered:
            self.start_component(name)
            if name == "api-server":
                self.wait_until_ready(timeout)
        self.wait_until_ready(timeout)

    def start_component(self, name: str) -> subprocess.Popen:
        args = [name] + (["--port", str(self.port)] if name == "api-server" else [])
        if name in ("scheduler", "triggerer"):
            args.append("--skip-serve-logs")  # the api-server reads the task logs from the same disk
        with open(self.log_dir / f"{name}.log", "a") as log:
            process = subprocess.Popen(
                [_airflow_executable(), *args],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session: found and stopped with its task processes
            )
        self.processes[name] = process
        self.sessions.add(process.pid)
        return process

    def kill_component(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal one component's main process only (its task processes live on, as after a crash)."""
        process = self.processes[name]
        process.send_signal(sig)
        process.wait(timeout=60)

    def restart_component(self, name: str, sig: int = signal.SIGKILL) -> subprocess.Popen:
        """A crash and a restart: `sig` to the component's main process only, then a new one in a new session
        (the old session stays in `sessions`, so `stop` still finds what the dead one left running)."""
        self.kill_component(name, sig)
        return self.start_component(name)

    def task_processes(self) -> dict[int, str]:
        """{pid: task instance id} of the task runners in our sessions (the task SDK titles each one
        `airflow worker -- <task instance id>`)."""
        found = {}
        for pid in processes_in_sessions(self.sessions):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if match := TASK_PROCESS_TITLE.match(title.strip()):
                found[pid] = match.group(1)
        return found

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            try:
                if self.client.get("/api/v2/monitor/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"api-server not ready after {timeout:.0f} s: see {self.log_dir}")
            time.sleep(1)

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"airflow {name} exited with {process.returncode}:\n{tail}")

    def leftover_processes(self) -> list[int]:
        return processes_in_sessions(self.sessions)

    def stop(self, metadata_db: bool = True) -> list[int]:
        """Stop everything we started: SIGTERM to the components, then SIGKILL to whatever is left in their
        sessions (task runners included), then the metadata database. Returns what was still alive after
        all that (empty when clean)."""
        self.client.close()
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for _ in range(3):
            left = processes_in_sessions(self.sessions)
            if not left:
                break
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        if metadata_db and self.extra_env.get("OLIST_AIRFLOW_DB") == "postgres":
            from olist_dw import metadata_db as db

            db.stop(self.settings())
        return processes_in_sessions(self.sessions)

    # --- REST, as the UI calls it -------------------------------------------------------------------
    def password(self) -> str:
        path = self.home / "airflow" / "simple_auth_manager_passwords.json.generated"
        deadline = time.monotonic() + 60
        while not path.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} was not written by the api-server")
            time.sleep(0.5)
        return json.loads(path.read_text())["admin"]

    def token(self) -> str:
        if self._token is None:
            response = self.request("POST", "/auth/token", json={"username": "admin", "password": self.password()})
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One HTTP call; every status is counted, every 5xx recorded with its body."""
        if not path.startswith("/auth/"):
            kwargs.setdefault("headers", {})["Authorization"] = f"Bearer {self.token()}"
        response = self.client.request(method, path, **kwargs)
        with self._count_lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{method} {path} -> {response.status_code} {response.text[:300]}")
        return response

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, f"/api/v2{path}", **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Until the dag-processor has parsed `dag_id` (the UI lists it)."""
        deadline = time.monotonic() + timeout
        while self.request("GET", f"/api/v2/dags/{dag_id}").status_code != 200:
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} not parsed after {timeout:.0f} s: see {self.log_dir}")
            time.sleep(2)

    def trigger(self, dag_id: str, conf: dict | None = None) -> dict:
        """What the UI's Trigger button sends."""
        body: dict[str, Any] = {"logical_date": None}
        if conf is not None:
            body["conf"] = conf
        return self.api("POST", f"/dags/{dag_id}/dagRuns", json=body)

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})

    def _paged(self, path: str, key: str, **params: Any) -> list[dict]:
        items: list[dict] = []
        while True:
            page = self.api("GET", path, params={**params, "limit": 100, "offset": len(items)})
            items += page[key]
            if not page[key] or len(items) >= page["total_entries"]:
                return items

    def dag_runs(self, dag_id: str = "~") -> list[dict]:
        return self._paged(f"/dags/{dag_id}/dagRuns", "dag_runs")

    def task_instances(self, dag_id: str = "~", run_id: str = "~") -> list[dict]:
        return self._paged(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", "task_instances")

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in FINISHED:
                return run
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{dag_id} {run_id} still {run['state']} after {timeout:.0f} s")
            time.sleep(3)

    # --- evidence ----------------------------------------------------------------------------------
    def task_log_lock_errors(self) -> list[str]:
        """Lines of any task log (AIRFLOW_HOME/logs) that met a file lock."""
        found = []
        for log in (self.home / "airflow" / "logs").rglob("*.log"):
            for line in log.read_text(errors="replace").splitlines():
                if LOCK_ERROR.search(line):
                    found.append(f"{log}: {line[:300]}")
        return found

    def api_server_5xx_lines(self) -> list[str]:
        """Access-log lines of the api-server answering 5xx (the tasks' execution-API calls included)."""
        log = self.log_dir / "api-server.log"
        if not log.exists():
            return []
        # Airflow's access log: `request finished ... method=POST path=/... status_code=500` (uvicorn's own
        # format, `"POST /path HTTP/1.1" 500`, too).
        pattern = re.compile(r'status_code=5\d\d\b|"\s*(GET|POST|PATCH|PUT|DELETE) [^"]*" 5\d\d\b')
        return [line[:300] for line in log.read_text(errors="replace").splitlines() if pattern.search(line)]


@contextlib.contextmanager
def _patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _airflow_executable() -> str:
    local = Path(sys.executable).with_name("airflow")
    return str(local) if local.exists() else "airflow"
