"""The live scheduler: the four real Airflow components on PostgreSQL, in a temporary OLIST_HOME, with all the
DAGs live (the minute generator, continuous delivery, asset-scheduled realtime) and olist_batch triggered
through the REST API as the UI's Trigger button does. Everything it started is stopped by process id.

What `airflow dags test` never exercises: the one-slot `olist_warehouse` pool between the batch and the
micro-batches, per-schema publish while data flows, asset scheduling, `@continuous`, `max_active_runs`."""

from __future__ import annotations

import subprocess
import time

import duckdb
import pytest

from olist_dw.generator import generate
from olist_dw.warehouse import connect_read_only
from tests.live.harness import LiveAirflow, live_home

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

SIM_DAGS = ("olist_sim_generator", "olist_sim_delivery", "olist_realtime", "olist_freshness")
BATCH_TIMEOUT_S = 900  # the batch took 8 min on 2 cores shared with other work (load 10-13)
REALTIME_TIMEOUT_S = 300
SETTLE_TIMEOUT_S = 120


def realtime_items_table(con: duckdb.DuckDBPyConnection) -> str:
    """The realtime items model (a table or, published as Parquet parts, a view)."""
    return "fct_items_sold"


def gold_sim_differences(serving) -> tuple[int, list]:
    """(rows of gold_sim, rows that differ from gold_sim recomputed from the items of the same snapshot)."""
    with connect_read_only(serving) as con:
        items = realtime_items_table(con)
        published = "select order_date, customer_state, total_orders, daily_revenue from realtime.gold_sim"
        recomputed = f"""
            select purchase_date, customer_state, count(distinct order_id), cast(sum(price) as decimal(18, 2))
            from realtime.{items} group by 1, 2"""
        rows = con.execute("select count(*) from realtime.gold_sim").fetchone()[0]
        differ = con.execute(
            f"(({published}) except all ({recomputed})) union all (({recomputed}) except all ({published}))"
        ).fetchall()
    return rows, differ


def published_schemas(serving) -> set[str]:
    """Schemas of every published set file (serving/analytics*.duckdb), as readers see them."""
    with connect_read_only(serving) as con:
        rows = con.execute(
            "select schema_name from duckdb_tables() union select schema_name from duckdb_views() where not internal"
        ).fetchall()
    return {r[0] for r in rows}


def wait_for(condition, timeout: float, what: str, airflow: LiveAirflow, every: float = 3.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        airflow._check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s (logs: {airflow.log_dir})")
        time.sleep(every)
    return value


def test_live_scheduler_runs_every_dag_once_each_without_retries_locks_or_server_errors():
    with live_home() as home:
        generate(home / "source", scale=0.01, seed=11, quiet=True)
        # Short delivery buffers: several files, so several realtime runs, within the test's minutes.
        airflow = LiveAirflow(home, env={"OLIST_DELIVERY_BUFFER_SECONDS": "5"})
        left: list[int] = []
        try:
            airflow.start()
            for dag_id in ("olist_batch", *SIM_DAGS):
                airflow.wait_for_dag(dag_id)
            batch = airflow.trigger("olist_batch")
            airflow.trigger("olist_sim_generator", conf={"ticks": 5})

            finished = airflow.wait_for_run("olist_batch", batch["dag_run_id"], timeout=BATCH_TIMEOUT_S)
            assert finished["state"] == "success", finished
            serving = home / "serving" / "analytics.duckdb"
            assert {"marts", "gold"} <= published_schemas(serving)

            def realtime_published():
                runs = [r for r in airflow.dag_runs("olist_realtime") if r["state"] == "success"]
                return runs and serving.exists() and "realtime" in published_schemas(serving)

            wait_for(realtime_published, REALTIME_TIMEOUT_S, "a successful olist_realtime run published", airflow)

            # No new events: the micro-batch that is running or queued publishes the last ones. (Runs of a
            # paused DAG that are queued never start, so only the generator is paused; delivery is continuous.)
            airflow.set_paused("olist_sim_generator", True)
            wait_for(
                lambda: all(r["state"] in ("success", "failed") for r in airflow.dag_runs("olist_realtime")),
                SETTLE_TIMEOUT_S,
                "the last olist_realtime run finished",
                airflow,
            )
            runs = airflow.dag_runs()
            task_instances = airflow.task_instances()
        finally:
            left = airflow.stop()

        by_dag = {dag_id: [r["state"] for r in runs if r["dag_id"] == dag_id] for dag_id in ("olist_batch", *SIM_DAGS)}
        assert all("success" in states for states in by_dag.values()), f"a DAG never succeeded: {by_dag}"
        # Every run that ended succeeded; still going: only continuous delivery, the paused generator and a
        # freshness check of the last minute.
        assert {r["state"] for r in runs} <= {"success", "running", "queued"}, by_dag
        unfinished = [r["dag_id"] for r in runs if r["state"] != "success"]
        assert set(unfinished) <= {"olist_sim_delivery", "olist_sim_generator", "olist_freshness"}, by_dag
        ran = [t for t in task_instances if t["start_date"] is not None]
        assert {t["dag_id"] for t in ran} == {"olist_batch", *SIM_DAGS}
        retried = [(t["dag_id"], t["task_id"], t["try_number"]) for t in ran if t["try_number"] != 1]
        assert not retried, f"tasks not at their first try: {retried}"

        rows, differ = gold_sim_differences(serving)
        assert rows > 0
        assert differ == [], "realtime.gold_sim differs from its recomputation from the realtime items"

        assert airflow.task_log_lock_errors() == []
        assert airflow.server_errors == [] and not any(code >= 500 for code in airflow.statuses)
        assert airflow.api_server_5xx_lines() == []

        assert left == [], f"processes left running: {left}"
        ps = subprocess.run(["ps", "-eo", "pid,sid,stat,args"], capture_output=True, text=True).stdout
        ours = [
            line
            for line in ps.splitlines()[1:]
            if (fields := line.split()) and int(fields[1]) in airflow.sessions and "Z" not in fields[2]
        ]
        assert ours == [], "\n".join(ours)
