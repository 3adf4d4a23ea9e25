"""The local Airflow's PostgreSQL metadata database: started once under OLIST_HOME, idempotent, restartable,
stopped; the SQLite and external-URL settings; a bad setting named."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from olist_dw import metadata_db
from olist_dw.settings import get_settings

EXTERNAL_URL = "postgresql+psycopg2://me:secret@db.example:5432/airflow"  # pragma: allowlist secret


def _query(url: str, sql: str):
    parts = make_url(url)
    con = psycopg2.connect(
        host=parts.host, port=parts.port, user=parts.username, password=parts.password, dbname=parts.database
    )
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0] if cur.description else None
    finally:
        con.close()


def test_server_starts_once_under_olist_home_and_restarts_with_its_data(postgres_home):
    settings = get_settings()
    url = metadata_db.ensure_running(settings)
    assert url.startswith("postgresql+psycopg2://airflow:") and "@127.0.0.1:" in url
    assert (postgres_home / "postgres" / "data" / "PG_VERSION").exists()
    assert _query(url, "show data_directory") == str(postgres_home / "postgres" / "data")
    assert _query(url, "show listen_addresses") == "127.0.0.1"
    server_pid = postgres_home / "postgres" / "data" / "postmaster.pid"
    first_pid = server_pid.read_text().split()[0]
    _query(url, "create table if not exists kept (x int)")

    assert metadata_db.ensure_running(settings) == url  # idempotent: same server, same port
    assert server_pid.read_text().split()[0] == first_pid

    assert metadata_db.stop(settings) is True
    assert metadata_db.running_port(settings) is None
    assert metadata_db.stop(settings) is False

    again = metadata_db.ensure_running(settings)
    assert again == url  # the remembered port
    assert _query(again, "select count(*) from pg_tables where tablename = 'kept'") == 1


def test_metadb_command_starts_reports_and_stops(postgres_home):
    def olist_dw(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "olist_dw.cli", "metadb", *args], capture_output=True, text=True, check=True
        ).stdout

    assert "not initialised" in olist_dw("status")
    assert "running on 127.0.0.1:" in olist_dw("start")
    assert "running on 127.0.0.1:" in olist_dw("status")
    assert olist_dw("stop").strip() == "stopped"
    assert "initialised, stopped" in olist_dw("status")


def test_sqlite_and_external_url_start_no_server(olist_home, monkeypatch):
    monkeypatch.setenv("OLIST_AIRFLOW_DB", "sqlite")
    assert metadata_db.ensure_running(get_settings()) == f"sqlite:///{olist_home.resolve() / 'airflow' / 'airflow.db'}"
    external = EXTERNAL_URL
    monkeypatch.setenv("OLIST_AIRFLOW_DB", external)
    assert metadata_db.ensure_running(get_settings()) == external
    assert not (olist_home / "postgres").exists()


def test_airflow_env_points_airflow_at_the_chosen_database(olist_home, monkeypatch):
    from olist_dw.airflow_local import airflow_env

    monkeypatch.setenv("OLIST_AIRFLOW_DB", EXTERNAL_URL)
    assert airflow_env(get_settings())["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@db.example:5432/airflow")


def test_a_bad_setting_is_named(olist_home, monkeypatch):
    monkeypatch.setenv("OLIST_AIRFLOW_DB", "postgress")
    with pytest.raises(metadata_db.MetadataDbError, match="OLIST_AIRFLOW_DB='postgress'"):
        metadata_db.ensure_running(get_settings())


HOLDER = """
import os, signal, sys, time
import psycopg2
con = psycopg2.connect(sys.argv[1])
cur = con.cursor()
cur.execute("select id from dag_run_like where id = 1 for update")  # a transaction holding a row lock
child = os.fork()
if child == 0:  # a child inherits the socket, as the LocalExecutor's workers inherit the scheduler's
    time.sleep(120)
    os._exit(0)
print(child, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the 'scheduler' dies mid-transaction
"""


def test_a_transaction_left_open_by_a_killed_process_whose_socket_a_child_keeps_is_ended_by_the_server(
    postgres_home, monkeypatch
):
    """The scheduler crash of the live crash test: its row locks outlived it in a forked worker's socket."""
    monkeypatch.setattr(metadata_db, "IDLE_IN_TRANSACTION_TIMEOUT_S", 3)
    url = metadata_db.ensure_running(get_settings())
    parts = make_url(url)
    dsn = f"host={parts.host} port={parts.port} user={parts.username} password={parts.password} dbname={parts.database}"
    _query(url, "create table dag_run_like (id int primary key); insert into dag_run_like values (1)")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, dsn], stdout=subprocess.PIPE, text=True)
    child = int(holder.stdout.readline())
    try:
        holder.wait(timeout=10)
        con = psycopg2.connect(dsn)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute("select id from dag_run_like for update skip locked")
                assert cur.fetchall() == []  # the dead process's lock is still held through the child's socket
                deadline = time.monotonic() + 30
                while True:
                    cur.execute("select id from dag_run_like for update skip locked")
                    if cur.fetchall() == [(1,)]:
                        break
                    assert time.monotonic() < deadline, "the server never ended the orphaned transaction"
                    time.sleep(0.5)
        finally:
            con.close()
    finally:
        os.kill(child, signal.SIGKILL)
