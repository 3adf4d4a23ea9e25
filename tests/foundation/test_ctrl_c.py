"""Ctrl+C on `make airflow`: the terminal interrupts the whole foreground group, and `olist-dw airflow standalone`
waits for Airflow's standalone command to stop its components instead of killing it (`run_through_ctrl_c`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# Stands for `airflow standalone`: on Ctrl+C it takes a second to stop its components, then says it is done.
CHILD = """
import signal, sys, time
from pathlib import Path

def stop(*_):
    time.sleep(1.0)
    Path(sys.argv[1]).write_text("stopped")
    sys.exit(0)

signal.signal(signal.SIGINT, stop)
Path(sys.argv[1] + ".ready").write_text("")
while True:
    time.sleep(0.1)
"""

LAUNCHER = """
import sys
from olist_dw.airflow_local import run_through_ctrl_c

sys.exit(run_through_ctrl_c([sys.executable, "-c", sys.argv[1], sys.argv[2]], None))
"""


def _as_a_terminal_starts_it() -> None:
    # A foreground job of an interactive shell: its own process group, SIGINT at its default (a background job
    # of a script ignores it).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setpgid(0, 0)


def test_ctrl_c_waits_for_the_standalone_command_to_stop_its_components(tmp_path: Path):
    marker = tmp_path / "child"
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, CHILD, str(marker)], preexec_fn=_as_a_terminal_starts_it
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.with_name("child.ready").exists():
            assert time.monotonic() < deadline, "the child did not start"
            time.sleep(0.05)
        interrupted = time.monotonic()
        os.killpg(launcher.pid, signal.SIGINT)  # Ctrl+C
        code = launcher.wait(timeout=30)
        waited = time.monotonic() - interrupted
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
    assert marker.read_text() == "stopped"  # the child's own shutdown ran to its end: it was not killed
    assert waited >= 1.0  # and the launcher returned only after it
    assert code == 0


# A component: SIGTERM is written down; it exits on its own after `sys.argv[2]` seconds (never, when negative).
COMPONENT = """
import signal, sys, time
from pathlib import Path

def terminated(*_):
    Path(sys.argv[1]).write_text("sigterm")
    sys.exit(0)

signal.signal(signal.SIGTERM, terminated)
Path(sys.argv[1] + ".ready").write_text("")
lives = float(sys.argv[2])
started = time.monotonic()
while lives < 0 or time.monotonic() - started < lives:
    time.sleep(0.05)
"""


def _component(olist_home, marker: Path, lives: float):
    from olist_dw.airflow_standalone import ProjectSubCommand

    component = ProjectSubCommand(None, "scheduler", ["scheduler"], {})
    component.process = subprocess.Popen([sys.executable, "-c", COMPONENT, str(marker), str(lives)])
    deadline = time.monotonic() + 30
    while not marker.with_name(marker.name + ".ready").exists():
        assert time.monotonic() < deadline, "the component did not start"
        time.sleep(0.05)
    return component


def test_a_component_stopping_on_its_own_ctrl_c_gets_no_second_signal(olist_home, tmp_path: Path, monkeypatch):
    from olist_dw import airflow_standalone

    monkeypatch.setattr(airflow_standalone, "STOP_GRACE_SECONDS", 3.0)
    marker = tmp_path / "scheduler"
    component = _component(olist_home, marker, lives=0.5)
    component.stop()
    assert component.process.wait(timeout=10) == 0
    time.sleep(3.5)  # past the grace: the timer found it ended
    assert not marker.exists()


def test_a_component_still_running_after_the_grace_is_sent_sigterm(olist_home, tmp_path: Path, monkeypatch):
    from olist_dw import airflow_standalone

    monkeypatch.setattr(airflow_standalone, "STOP_GRACE_SECONDS", 0.5)
    marker = tmp_path / "scheduler"
    component = _component(olist_home, marker, lives=-1)
    stopped = time.monotonic()
    component.stop()
    try:
        component.process.wait(timeout=10)
    finally:
        if component.process.poll() is None:
            component.process.kill()
    assert marker.read_text() == "sigterm"
    assert time.monotonic() - stopped >= 0.5
