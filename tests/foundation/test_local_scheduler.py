"""The local scheduler (`make airflow`): its executor imports the tasks' heavy modules before its workers fork, so
every task process (a fork of a worker) starts with them, and the environment selects it; its idle sleep is
short, as the near-real-time chain of runs needs, unless the user set one."""

from __future__ import annotations

import json
import subprocess
import sys

from olist_dw.airflow_local import LOCAL_EXECUTOR, airflow_env
from olist_dw.settings import get_settings

WORKERS_START_WITH_THE_MODULES = """
import json, sys
from olist_dw.airflow_executor import PRELOADED_MODULES, PreloadedLocalExecutor

before = [name for name in PRELOADED_MODULES if name in sys.modules]
executor = PreloadedLocalExecutor(parallelism=1)
executor.start()
try:
    workers = len(executor.workers)
    loaded = [name for name in PRELOADED_MODULES if name in sys.modules]
finally:
    executor.end()
print(json.dumps({"before": before, "loaded": loaded, "workers": workers}))
"""


def test_the_modules_are_imported_before_the_workers_fork():
    out = subprocess.run(
        [sys.executable, "-c", WORKERS_START_WITH_THE_MODULES], capture_output=True, text=True, timeout=300, check=True
    ).stdout
    from olist_dw.airflow_executor import PRELOADED_MODULES

    report = json.loads(out.strip().splitlines()[-1])
    assert report["before"] == []  # a fresh interpreter: the executor's module alone imports none of them
    assert report["loaded"] == list(PRELOADED_MODULES)
    assert report["workers"] == 1  # forked (Linux's default start method) after the imports, in start()


def test_the_local_airflow_runs_that_executor_and_airflow_loads_it(olist_home, monkeypatch):
    monkeypatch.setenv("OLIST_AIRFLOW_DB", "sqlite")
    env = airflow_env(get_settings())
    assert env["AIRFLOW__CORE__EXECUTOR"] == LOCAL_EXECUTOR
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "from airflow.executors.executor_loader import ExecutorLoader; "
            "print(type(ExecutorLoader.get_default_executor()).__name__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert loaded.strip().splitlines()[-1] == "PreloadedLocalExecutor"


def test_the_scheduler_idles_a_quarter_second_unless_the_user_set_it(olist_home, monkeypatch):
    monkeypatch.setenv("OLIST_AIRFLOW_DB", "sqlite")
    monkeypatch.delenv("AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME", raising=False)
    assert airflow_env(get_settings())["AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME"] == "0.25"
    monkeypatch.setenv("AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME", "2")
    assert airflow_env(get_settings())["AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME"] == "2"
