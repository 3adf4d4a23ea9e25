"""Reading a DAG run back: task instance states and try numbers from the local metadata database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Runs in the Airflow environment: one DAG run, then every task instance's state and try number as JSON.
RUN_AND_REPORT = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.utils.session import create_session
from airflow.models import DagRun, TaskInstance

dag_id, run = sys.argv[1], sys.argv[2] == "run"
if run:
    bag = DagBag(dag_folder=sys.argv[3])
    assert not bag.import_errors, bag.import_errors
    bag.get_dag(dag_id).test()
with create_session() as session:
    (dag_run,) = session.query(DagRun).filter(DagRun.dag_id == dag_id).all()
    tis = session.query(TaskInstance).filter(TaskInstance.run_id == dag_run.run_id).all()
    print("REPORT " + json.dumps({"run": str(dag_run.state),
          "tasks": {ti.task_id: [str(ti.state), ti.try_number] for ti in tis}}))
"""


def report_lines(output: str) -> list[dict]:
    """The REPORT objects printed in `output`. Each is decoded up to its closing brace: a log line another thread
    writes between print()'s text and its newline lands after it on the same line."""
    decoder = json.JSONDecoder()
    return [
        decoder.raw_decode(line.removeprefix("REPORT "))[0]
        for line in output.splitlines()
        if line.startswith("REPORT ")
    ]


def task_report(env: dict[str, str], dag_id: str, dags_folder: Path | None = None) -> dict:
    args = [dag_id, "run", str(dags_folder)] if dags_folder else [dag_id, "report"]
    result = subprocess.run(
        [sys.executable, "-c", RUN_AND_REPORT, *args], env=env, capture_output=True, text=True, timeout=300
    )
    reports = report_lines(result.stdout)
    assert reports, f"no report (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return reports[-1]
