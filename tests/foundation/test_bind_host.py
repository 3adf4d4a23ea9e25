"""Local services listen on localhost only (OLIST_BIND_HOST, default 127.0.0.1): the Airflow API server, no
log server on every interface, the dashboard; one setting opens them up. The last test starts the real
`olist-dw airflow standalone` and reads the addresses its processes listen on."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from pydantic import ValidationError

from olist_dw.airflow_local import airflow_env, component_args
from olist_dw.settings import Settings, get_settings


@pytest.fixture
def local_env(olist_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OLIST_AIRFLOW_DB", "sqlite")
    for name in (
        "OLIST_BIND_HOST",
        "AIRFLOW__API__HOST",
        "AIRFLOW__API__PORT",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return olist_home


def test_the_airflow_api_server_listens_on_localhost_by_default(local_env):
    env = airflow_env(get_settings())
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8080/execution/"


def test_one_setting_opens_the_api_server_and_tasks_still_reach_it_on_loopback(local_env, monkeypatch):
    monkeypatch.setenv("OLIST_BIND_HOST", "0.0.0.0")
    monkeypatch.setenv("AIRFLOW__API__PORT", "18080")
    env = airflow_env(get_settings())
    assert env["AIRFLOW__API__HOST"] == "0.0.0.0"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"


def test_the_log_servers_are_off_unless_every_interface_is_open(local_env, monkeypatch):
    settings = get_settings()
    assert component_args(["scheduler"], settings) == ["scheduler", "--skip-serve-logs"]
    assert component_args(["triggerer"], settings) == ["triggerer", "--skip-serve-logs"]
    assert component_args(["scheduler", "-s"], settings) == ["scheduler", "-s"]
    assert component_args(["api-server"], settings) == ["api-server"]
    assert component_args(["dags", "list"], settings) == ["dags", "list"]

    monkeypatch.setenv("OLIST_BIND_HOST", "0.0.0.0")
    assert component_args(["scheduler"], get_settings()) == ["scheduler"]


def test_the_standalone_command_starts_its_components_with_the_projects_arguments(local_env):
    from airflow.cli.commands import standalone_command

    from olist_dw.airflow_standalone import ProjectSubCommand

    # The replacement works because StandaloneCommand.run() builds its components by the module's name.
    assert "SubCommand(" in inspect.getsource(standalone_command.StandaloneCommand.run)
    commands = {name: ProjectSubCommand(None, name, [name], {}).command for name in ("scheduler", "triggerer")}
    assert commands == {
        "scheduler": ["scheduler", "--skip-serve-logs"],
        "triggerer": ["triggerer", "--skip-serve-logs"],
    }


def test_the_dashboard_listens_on_the_same_setting(local_env, monkeypatch):
    from olist_dw.cli import dashboard

    started: list[list[str]] = []
    monkeypatch.setattr(
        subprocess, "run", lambda command, check: started.append(command) or subprocess.CompletedProcess(command, 0)
    )

    dashboard.run(argparse.Namespace(port=None, address=None))
    monkeypatch.setenv("OLIST_BIND_HOST", "0.0.0.0")
    dashboard.run(argparse.Namespace(port=None, address=None))

    addresses = [command[command.index("--server.address") + 1] for command in started]
    assert addresses == ["127.0.0.1", "0.0.0.0"]


def test_a_bind_host_that_is_not_an_address_names_the_setting(local_env, monkeypatch):
    monkeypatch.setenv("OLIST_BIND_HOST", "everywhere")
    with pytest.raises(ValidationError, match="bind_host"):
        Settings()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(family: dict[int, psutil.Process]) -> set[tuple[str, int]]:
    return {
        (conn.laddr.ip, conn.laddr.port)
        for conn in psutil.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and conn.pid in family
    }


def _family(root: psutil.Process) -> dict[int, psutil.Process]:
    """The root and its descendants (psutil.Process checks a pid's identity before it signals it)."""
    try:
        return {p.pid: p for p in (root, *root.children(recursive=True))}
    except psutil.NoSuchProcess:
        return {}


def _command_lines(family: dict[int, psutil.Process]) -> list[str]:
    lines = []
    for process in family.values():
        with contextlib.suppress(psutil.Error):
            lines.append(" ".join(process.cmdline()))
    return lines


@pytest.mark.e2e
def test_make_airflow_listens_on_localhost_only(local_env, tmp_path: Path):
    port = _free_port()
    env = {
        **os.environ,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
    }
    log = open(tmp_path / "standalone.log", "w")  # noqa: SIM115 (closed in finally)
    command = [sys.executable, "-m", "olist_dw.cli", "airflow", "standalone"]
    standalone = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    root = psutil.Process(standalone.pid)
    seen: dict[int, psutil.Process] = {}
    try:
        deadline = time.monotonic() + 300
        # Every component up: the API server on its port, the scheduler and the triggerer running.
        while time.monotonic() < deadline and standalone.poll() is None:
            family = _family(root)
            seen.update(family)
            lines = _command_lines(family)
            up = any("airflow scheduler" in line for line in lines) and any(
                "airflow triggerer" in line for line in lines
            )
            if up and ("127.0.0.1", port) in _listening(family):
                break
            time.sleep(2)
        else:
            log_text = (tmp_path / "standalone.log").read_text()[-3000:]
            pytest.fail(f"standalone not up in time (exit {standalone.poll()}): {log_text}")
        time.sleep(10)  # the log servers, when there are any, start right after their component
        family = _family(root)
        seen.update(family)
        listening = _listening(family)
        assert ("127.0.0.1", port) in listening
        assert {ip for ip, _ in listening} == {"127.0.0.1"}, listening
    finally:
        seen.update(_family(root))
        os.killpg(standalone.pid, signal.SIGTERM)
        try:
            standalone.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(standalone.pid, signal.SIGKILL)
            standalone.wait(timeout=30)
        # Task processes leave the group (their own sessions): end each one this test saw, by its process.
        for process in seen.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        log.close()
    gone, alive = psutil.wait_procs(list(seen.values()), timeout=30)
    assert alive == []
