"""The local Airflow's metadata database: a PostgreSQL server owned by the project, data under OLIST_HOME.

Airflow documents SQLite for trials only: with the scheduler, the API server and task heartbeats writing at
once, SQLite's one writer made the API server answer HTTP 500 after 5 s lock waits. So, as Astro's local
environment does, the local Airflow runs on its own PostgreSQL server:

- `OLIST_HOME/postgres/data` is its cluster (initdb once), `OLIST_HOME/postgres/run` its unix socket folder,
  `OLIST_HOME/postgres/server.log` its log; it listens on 127.0.0.1 only, on `OLIST_AIRFLOW_DB_PORT` or a free
  port chosen once and remembered; the `airflow` role has a generated password kept in a 0600 file.
- The server binaries are the machine's (`make postgres` installs Debian's `postgresql`): PostgreSQL refuses to
  run as root, so as root the server runs as the unprivileged `postgres` user that the package creates.
- `ensure_running` is idempotent and cheap when the server runs; `stop` stops it; `olist-dw metadb` wraps both.
- A transaction left idle for `IDLE_IN_TRANSACTION_TIMEOUT_S` is ended by the server. Why: the LocalExecutor's
  worker processes inherit the scheduler's database socket. When the scheduler is killed in the middle of a
  scheduling loop, they keep its session open, with its transaction and its `FOR UPDATE` row locks on the
  dag runs it was examining. The restarted scheduler skips locked rows, so those runs stayed `running` for ever
  (seen in the live crash test). Airflow never leaves a transaction idle for long, so a minute is safe.
  A database you run yourself (`OLIST_AIRFLOW_DB=<URL>`) needs the same setting.

`OLIST_AIRFLOW_DB` picks the database: `postgres` (default, this server), `sqlite` (the old single file, for a
quick look) or a SQLAlchemy URL of a database you run yourself.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from olist_dw.errors import UserFacingError
from olist_dw.settings import Settings

ROLE = "airflow"
DATABASE = "airflow"
# The user the server runs as when we are root (Debian's package creates it).
ROOT_FALLBACK_USER = "postgres"
START_TIMEOUT_SECONDS = 60
# A unix socket path is limited to 107 bytes: beyond that the server listens on TCP only.
MAX_SOCKET_PATH = 100


class MetadataDbError(UserFacingError):
    """The local metadata database cannot be set up or started; the message says what to do."""


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    @property
    def port_file(self) -> Path:
        return self.root / "port"

    @property
    def lock_file(self) -> Path:
        # Beside the server's folder: that folder may belong to the postgres user.
        return self.root.with_name("postgres.lock")


# Seconds; see the module docstring (a transaction whose process died with its socket still shared).
IDLE_IN_TRANSACTION_TIMEOUT_S = 60


def layout(settings: Settings) -> Layout:
    return Layout(settings.home / "postgres")


def mode(settings: Settings) -> str:
    """`postgres`, `sqlite` or `url` (OLIST_AIRFLOW_DB), or a clear error naming the setting."""
    value = settings.airflow_db.strip()
    if value in ("postgres", "sqlite"):
        return value
    if re.match(r"^[a-z][a-z0-9+]*://", value):
        return "url"
    raise MetadataDbError(
        f"OLIST_AIRFLOW_DB={value!r} is not `postgres`, `sqlite` or a SQLAlchemy URL "
        "(e.g. postgresql+psycopg2://airflow@db-host:5432/airflow, the password from PGPASSFILE)"
    )


def sqlite_url(settings: Settings) -> str:
    return f"sqlite:///{settings.airflow_home / 'airflow.db'}"


def ensure_running(settings: Settings) -> str:
    """The SQLAlchemy URL of the metadata database, starting the local PostgreSQL server first if needed."""
    chosen = mode(settings)
    if chosen == "sqlite":
        return sqlite_url(settings)
    if chosen == "url":
        return settings.airflow_db.strip()
    paths = layout(settings)
    with _locked(paths):
        port = running_port(settings)
        if port is None:
            port = _start(settings, paths)
        return _url(paths, port)


def stop(settings: Settings, timeout: float = 60) -> bool:
    """Stop the local server if it runs (fast shutdown: sessions are closed, nothing is lost). True if it ran."""
    paths = layout(settings)
    if not (paths.data / "PG_VERSION").exists():
        return False
    with _locked(paths):
        if running_port(settings) is None:
            return False
        _run_as_owner(
            paths,
            [_binary("pg_ctl"), "stop", "-D", str(paths.data), "-m", "fast", "-w", "-t", str(int(timeout))],
        )
        return True


def running_port(settings: Settings) -> int | None:
    """The port of the local server if it runs (from its postmaster.pid, checked with `pg_ctl status`)."""
    paths = layout(settings)
    pid_file = paths.data / "postmaster.pid"
    if not pid_file.exists():
        return None
    status = _run_as_owner(paths, [_binary("pg_ctl"), "status", "-D", str(paths.data)], check=False)
    if status.returncode != 0:
        return None
    lines = pid_file.read_text().splitlines()
    # postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem key, status
    return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None


def status_text(settings: Settings) -> str:
    chosen = mode(settings)
    if chosen == "sqlite":
        return f"OLIST_AIRFLOW_DB=sqlite: {sqlite_url(settings)} (no server)"
    if chosen == "url":
        return "OLIST_AIRFLOW_DB is an external URL: the project starts no server"
    paths = layout(settings)
    port = running_port(settings)
    if port is None:
        state = "initialised, stopped" if (paths.data / "PG_VERSION").exists() else "not initialised"
        return f"PostgreSQL metadata database {state} (data: {paths.data})"
    return f"PostgreSQL metadata database running on 127.0.0.1:{port} (data: {paths.data}, log: {paths.log})"


# --- internals ---------------------------------------------------------------------------------------


def _url(paths: Layout, port: int) -> str:
    password = paths.password_file.read_text().strip()
    return f"postgresql+psycopg2://{ROLE}:{password}@127.0.0.1:{port}/{DATABASE}"


@contextmanager
def _locked(paths: Layout) -> Iterator[None]:
    """One process at a time sets up or starts the server (e.g. `make airflow` and a demo started together)."""
    paths.lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(paths.lock_file, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _binary(name: str) -> str:
    """A PostgreSQL server program: on PATH, else Debian's /usr/lib/postgresql/<version>/bin (not on PATH)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(re.search(r"/(\d+)/bin/", path).group(1)),  # type: ignore[union-attr]
    )
    if candidates:
        return candidates[-1]
    raise MetadataDbError(
        f"PostgreSQL's {name} was not found (the local Airflow's metadata database): run `make postgres` "
        "(Debian's postgresql package), or install PostgreSQL, or set OLIST_AIRFLOW_DB=sqlite"
    )


def _server_user() -> str | None:
    """The user to run the server as: None (ourselves) unless we are root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(ROOT_FALLBACK_USER)
    except KeyError:
        raise MetadataDbError(
            f"running as root, the metadata database must run as an unprivileged user, and there is no "
            f"`{ROOT_FALLBACK_USER}` user: run `make postgres` (Debian's package creates it), or set "
            "OLIST_AIRFLOW_DB=sqlite"
        ) from None
    return ROOT_FALLBACK_USER


def _run_as_owner(paths: Layout, command: list[str], check: bool = True) -> subprocess.CompletedProcess:
    user = _server_user()
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise MetadataDbError(
            f"`{' '.join(command)}` failed ({result.returncode}): {output[-800:]} (server log: {paths.log})"
        )
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the server binds: a port our stopped server left in TIME_WAIT is free to it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _choose_port(settings: Settings, paths: Layout) -> int:
    if settings.airflow_db_port:
        if not _port_is_free(settings.airflow_db_port):
            raise MetadataDbError(
                f"OLIST_AIRFLOW_DB_PORT={settings.airflow_db_port} is in use on 127.0.0.1: "
                "pick another port, or unset it (a free port is chosen)"
            )
        return settings.airflow_db_port
    remembered = paths.port_file.read_text().strip() if paths.port_file.exists() else ""
    if remembered.isdigit() and _port_is_free(int(remembered)):
        return int(remembered)
    return _free_port()


def _initdb(paths: Layout) -> None:
    """Create the cluster once: owned by the server's user, password auth on 127.0.0.1."""
    user = _server_user()
    paths.root.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(16)
    paths.password_file.write_text(password + "\n")
    paths.password_file.chmod(0o600)
    paths.socket_dir.mkdir(exist_ok=True)
    pwfile = paths.root / "initdb-password"
    pwfile.write_text(password + "\n")
    if user is not None:
        account = pwd.getpwnam(user)
        for path in (paths.root, paths.socket_dir, pwfile):
            os.chown(path, account.pw_uid, account.pw_gid)
        paths.root.chmod(0o700)
        probe = subprocess.run(["runuser", "-u", user, "--", "test", "-w", str(paths.root)], check=False)
        if probe.returncode != 0:
            raise MetadataDbError(
                f"running as root, the metadata database runs as the `{user}` user, who cannot reach "
                f"{paths.root} (a parent folder of OLIST_HOME is closed to other users): put OLIST_HOME "
                "in an open folder, or set OLIST_AIRFLOW_DB=sqlite"
            )
    try:
        _run_as_owner(
            paths,
            [
                _binary("initdb"),
                "-D",
                str(paths.data),
                "-U",
                ROLE,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )
    finally:
        pwfile.unlink(missing_ok=True)


def _start(settings: Settings, paths: Layout) -> int:
    if not (paths.data / "PG_VERSION").exists():
        if paths.data.exists():
            shutil.rmtree(paths.data)  # an initdb that was interrupted: start over
        _initdb(paths)
    port = _choose_port(settings, paths)
    socket_dir = str(paths.socket_dir) if len(str(paths.socket_dir)) < MAX_SOCKET_PATH else ""
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{socket_dir}'"
        f" -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_S}s"
    )
    _run_as_owner(
        paths,
        [_binary("pg_ctl"), "start", "-D", str(paths.data), "-l", str(paths.log), "-o", options, "-w", "-t", "60"],
    )
    paths.port_file.write_text(f"{port}\n")
    _wait_and_create_database(paths, port)
    # It outlives this command (as `astro dev start`'s database does): say where it is and how to stop it.
    print(
        f"metadata DB: PostgreSQL started on 127.0.0.1:{port} (data in {paths.data}; `olist-dw metadb stop` stops it)",
        file=sys.stderr,
    )
    return port


def _wait_and_create_database(paths: Layout, port: int) -> None:
    import psycopg2

    password = paths.password_file.read_text().strip()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            con = psycopg2.connect(
                host="127.0.0.1", port=port, user=ROLE, password=password, dbname="postgres", connect_timeout=5
            )
            break
        except psycopg2.OperationalError as err:
            if time.monotonic() > deadline:
                raise MetadataDbError(
                    f"the metadata database on 127.0.0.1:{port} did not accept connections within "
                    f"{START_TIMEOUT_SECONDS} s: {err} (server log: {paths.log})"
                ) from err
            time.sleep(0.2)
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (DATABASE,))
            if cur.fetchone() is None:
                cur.execute(f'create database "{DATABASE}"')
    finally:
        con.close()
