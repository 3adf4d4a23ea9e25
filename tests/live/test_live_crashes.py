"""Crashes in the live scheduler (issue 13 item 6), in one live session of the four real Airflow components:

1. The scheduler's main process and the batch's Cosmos producer task process (`transform.
   dbt_producer_watcher`, the one `dbt build`) are SIGKILLed together, as a worker machine's crash would kill
   them, and the scheduler is restarted: the run ends failed within minutes (it used to stay `running` for
   ever: the dead scheduler's LocalExecutor workers kept its database session, and with it its row locks on
   the dag run; the metadata server now ends such idle transactions), a re-run succeeds and the published
   marts reconcile with the source CSVs, as a clean run's do.
2. A `publish_realtime` task process is SIGKILLed in the middle of its publish: it is caught by its temporary
   snapshot (`serving/.analytics.realtime.duckdb.<pid>.<hex>.tmp`, the pid is the writer's), frozen with SIGSTOP while
   we check through the REST API that the pid's task instance is a `publish_realtime` one (a batch publish
   would be let go with SIGCONT), then SIGKILLed. No test-only sleep: a 50 ms poll sees the temp file of a
   publish that takes about a second. The task must be retried to success; afterwards realtime.gold_sim equals
   its recomputation from realtime.fct_items_sold, every delivered event is in it once, and no temp file is
   left.

Throughout, a reader thread opens the serving snapshot read-only every 0.5 s, as the dashboard does: it must
see no snapshot, or each schema whole (marts and gold together, with all their tables), never an error."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from olist_dw.errors import UserFacingError
from olist_dw.generator import generate
from olist_dw.warehouse import connect_read_only, fetch_row
from tests.batch.test_e2e import mart_totals, source_totals
from tests.live.harness import LiveAirflow, live_home
from tests.live.test_live_scheduler import gold_sim_differences, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

PRODUCER_TASK_ID = "transform.dbt_producer_watcher"
BATCH_TIMEOUT_S = 900
# The failed run must end this soon after the crash: the server's idle-transaction timeout (60 s), the
# restarted scheduler's start-up, and its loops on 2 shared cores.
CRASHED_RUN_ENDS_WITHIN_S = 300
REALTIME_TIMEOUT_S = 420
TEMP_SNAPSHOT = re.compile(r"^\.analytics\.realtime\.duckdb\.(\d+)\.[0-9a-f]+\.tmp$")


# What a reader sees of each schema: tables, and views (realtime.fct_items_sold is one over Parquet parts).
TABLES_AND_VIEWS = (
    "select schema_name, table_name from duckdb_tables()"
    " union all select schema_name, view_name from duckdb_views() where not internal"
)


class SnapshotReader(threading.Thread):
    """Opens the serving snapshot read-only every `every` seconds and records, per look, the tables of each
    schema (or "absent"); any other outcome is recorded as an error."""

    def __init__(self, serving: Path, every: float = 0.5):
        super().__init__(daemon=True)
        self.serving, self.every = serving, every
        self.looks: list[dict[str, frozenset[str]] | str] = []
        self.errors: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                con = connect_read_only(self.serving)
            except UserFacingError:
                self.looks.append("absent")
            except Exception as err:  # noqa: BLE001 - every other outcome is what the test reports
                self.errors.append(f"open: {type(err).__name__}: {err}")
            else:
                try:
                    rows = con.execute(TABLES_AND_VIEWS).fetchall()
                    schemas: dict[str, set[str]] = {}
                    for schema, table in rows:
                        schemas.setdefault(schema, set()).add(table)
                    if "marts" in schemas:
                        con.execute("select count(*) from marts.fct_orders").fetchone()
                    self.looks.append({s: frozenset(t) for s, t in schemas.items()})
                except Exception as err:  # noqa: BLE001
                    self.errors.append(f"read: {type(err).__name__}: {err}")
                finally:
                    con.close()
            self.done.wait(self.every)


def tables_by_schema(serving: Path) -> dict[str, frozenset[str]]:
    with connect_read_only(serving) as con:
        rows = con.execute(TABLES_AND_VIEWS).fetchall()
    found: dict[str, set[str]] = {}
    for schema, table in rows:
        found.setdefault(schema, set()).add(table)
    return {s: frozenset(t) for s, t in found.items()}


def tries(airflow: LiveAirflow, dag_id: str, run_id: str, task_id: str) -> dict[int, str]:
    """{try number: state} of one task instance, the tries before the current one included."""
    found = airflow.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries")
    return {t["try_number"]: t["state"] for t in found["task_instances"]}


def utc(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def task_instance(airflow: LiveAirflow, dag_id: str, run_id: str, task_id: str) -> dict | None:
    return next((t for t in airflow.task_instances(dag_id, run_id) if t["task_id"] == task_id), None)


def kill_publish_realtime_mid_publish(airflow: LiveAirflow, serving_dir: Path, timeout: float) -> dict:
    """SIGKILL a publish_realtime task process while its temporary snapshot exists. Returns what was killed."""
    deadline = time.monotonic() + timeout
    let_go: set[int] = set()
    while time.monotonic() < deadline:
        airflow._check_alive()
        for temp in serving_dir.glob(".analytics.realtime.duckdb.*.tmp"):
            match = TEMP_SNAPSHOT.match(temp.name)
            pid = int(match.group(1)) if match else 0
            if not pid or pid in let_go:
                continue
            task_id_of_pid = airflow.task_processes().get(pid)
            if task_id_of_pid is None:
                continue  # not one of our task runners (or gone already)
            os.kill(pid, signal.SIGSTOP)  # frozen mid-publish while we ask which task it is
            running = [
                t
                for t in airflow.task_instances("olist_realtime")
                if t["task_id"] == "publish_realtime" and t["id"] == task_id_of_pid
            ]
            if not running:
                os.kill(pid, signal.SIGCONT)  # the batch's publish: not this case
                let_go.add(pid)
                continue
            os.kill(pid, signal.SIGKILL)
            with_temp_at_kill = temp.exists()
            return {"pid": pid, "task": running[0], "temp": temp, "temp_at_kill": with_temp_at_kill}
        time.sleep(0.05)
    raise AssertionError(f"no publish_realtime caught mid-publish within {timeout:.0f} s (logs: {airflow.log_dir})")


def delivered_events(lake: Path) -> tuple[int, int]:
    """(distinct events, distinct (event, item) pairs) in the delivered sim files."""
    with duckdb.connect() as con:
        return fetch_row(
            con,
            f"""select count(distinct event_id), count(distinct (event_id, i.order_item_id))
            from (select event_id, unnest(items) as i from read_parquet('{lake}/bronze-sim/**/*.parquet'))""",
        )


def test_live_scheduler_and_task_process_killed_mid_run_recover_with_whole_snapshots_and_exact_counts():
    with live_home() as home:
        generate(home / "source", scale=0.01, seed=11, quiet=True)
        airflow = LiveAirflow(home, env={"OLIST_DELIVERY_BUFFER_SECONDS": "5"})
        serving = home / "serving" / "analytics.duckdb"
        reader = SnapshotReader(serving)
        left: list[int] = []
        timings: dict[str, float] = {}
        started = time.monotonic()
        try:
            airflow.start()
            for dag_id in ("olist_batch", "olist_sim_generator", "olist_sim_delivery", "olist_realtime"):
                airflow.wait_for_dag(dag_id)
            # The batch alone first: no micro-batch competes for the two cores or the warehouse pool.
            airflow.set_paused("olist_sim_generator", True)
            reader.start()

            # --- 1. the scheduler dies while the batch's dbt build runs ------------------------------------
            batch = airflow.trigger("olist_batch")
            producer = wait_for(
                lambda: (
                    (t := task_instance(airflow, "olist_batch", batch["dag_run_id"], PRODUCER_TASK_ID))
                    and t["state"] == "running"
                    and t
                ),
                BATCH_TIMEOUT_S,
                f"{PRODUCER_TASK_ID} running",
                airflow,
                every=1.0,
            )
            producer_pids = [pid for pid, ti in airflow.task_processes().items() if ti == producer["id"]]
            assert producer_pids, f"no task process of {PRODUCER_TASK_ID} ({airflow.task_processes()})"
            old_scheduler = airflow.processes["scheduler"].pid
            killed_scheduler_at = datetime.now(UTC)
            airflow.kill_component("scheduler")
            for pid in producer_pids:
                os.kill(pid, signal.SIGKILL)
            airflow.start_component("scheduler")
            assert airflow.processes["scheduler"].pid != old_scheduler
            timings["scheduler killed at"] = time.monotonic() - started
            finished = airflow.wait_for_run("olist_batch", batch["dag_run_id"], timeout=CRASHED_RUN_ENDS_WITHIN_S)
            timings["batch ended at"] = time.monotonic() - started
            batch_states = [finished["state"]]
            rerun = airflow.trigger("olist_batch")
            finished = airflow.wait_for_run("olist_batch", rerun["dag_run_id"], timeout=BATCH_TIMEOUT_S)
            batch_states.append(finished["state"])
            assert batch_states == ["failed", "success"], batch_states
            producer_after = task_instance(airflow, "olist_batch", batch["dag_run_id"], PRODUCER_TASK_ID)
            batch_totals = mart_totals(serving)

            # --- 2. a realtime publish's task process dies mid-publish --------------------------------------
            airflow.set_paused("olist_sim_generator", False)
            airflow.trigger("olist_sim_generator", conf={"ticks": 5})
            killed = kill_publish_realtime_mid_publish(airflow, serving.parent, REALTIME_TIMEOUT_S)
            timings["publish_realtime killed at"] = time.monotonic() - started
            killed_run = killed["task"]["dag_run_id"]
            realtime_run = airflow.wait_for_run("olist_realtime", killed_run, timeout=REALTIME_TIMEOUT_S)
            publish_after = task_instance(airflow, "olist_realtime", killed_run, "publish_realtime")
            publish_tries = tries(airflow, "olist_realtime", killed_run, "publish_realtime")

            # Settle: no new events; the last micro-batch publishes the last delivered files.
            airflow.set_paused("olist_sim_generator", True)
            wait_for(
                lambda: all(r["state"] in ("success", "failed") for r in airflow.dag_runs("olist_realtime")),
                REALTIME_TIMEOUT_S,
                "the last olist_realtime run finished",
                airflow,
            )
            # Delivery stopped (its last run ends within a minute), then one more micro-batch picks up any
            # file written after the last one started: the lake and the snapshot can then be compared.
            airflow.set_paused("olist_sim_delivery", True)
            wait_for(
                lambda: all(
                    r["state"] != "running" for r in airflow.dag_runs("olist_sim_delivery")
                ),  # queued: never starts
                REALTIME_TIMEOUT_S,
                "the last olist_sim_delivery run finished",
                airflow,
            )
            airflow.trigger("olist_realtime")
            wait_for(
                lambda: all(r["state"] in ("success", "failed") for r in airflow.dag_runs("olist_realtime")),
                REALTIME_TIMEOUT_S,
                "the final olist_realtime run finished",
                airflow,
            )
            realtime_states = [r["state"] for r in airflow.dag_runs("olist_realtime")]
            timings["settled at"] = time.monotonic() - started
        finally:
            reader.done.set()
            reader.join(timeout=10)
            left = airflow.stop()
        timings["stopped at"] = time.monotonic() - started
        print(f"\ncrash test timings (s): { {k: round(v) for k, v in timings.items()} }")
        brief = ("state", "try_number", "start_date", "end_date", "pid")
        print(f"batch runs {batch_states}; scheduler killed {killed_scheduler_at.isoformat()}")
        print(f"producer after the restart: { {k: producer_after[k] for k in brief} }")
        print(f"publish_realtime pid {killed['pid']} killed (its temp snapshot still there: {killed['temp_at_kill']})")
        print(f"its tries {publish_tries}; reader looks {len(reader.looks)}, errors {len(reader.errors)}")

        # 1. The crashed run failed (its build killed at try 1, not resumed or skipped), the re-run succeeded,
        # and the marts reconcile like a clean run's.
        assert producer["state"] == "running"
        assert producer_after["state"] == "failed" and producer_after["try_number"] == 1, producer_after
        assert producer_after["end_date"] and utc(producer_after["end_date"]) > killed_scheduler_at, producer_after
        assert batch_totals == source_totals(home / "source")

        # 2. The killed publish was retried to success, in the same run.
        assert killed["temp_at_kill"], "the kill came after the rename: not mid-publish"
        assert realtime_run["state"] == "success", realtime_run
        assert publish_after["state"] == "success" and publish_after["try_number"] >= 2, publish_after
        killed_try = killed["task"]["try_number"]
        assert publish_tries[killed_try] in ("failed", "up_for_retry"), publish_tries
        assert "failed" not in realtime_states, realtime_states
        rows, differ = gold_sim_differences(serving)
        assert rows > 0
        assert differ == [], "realtime.gold_sim differs from its recomputation from the realtime items"
        events, items = delivered_events(home / "lake")
        with connect_read_only(serving) as con:
            published = con.execute(
                "select count(*), count(distinct event_id), count(distinct (event_id, order_item_id))"
                " from realtime.fct_items_sold"
            ).fetchone()
        assert published == (items, events, items), f"published (rows, events, items) vs delivered {events, items}"
        assert sorted(p.name for p in serving.parent.glob("*.duckdb")) == [
            "analytics.duckdb",
            "analytics.realtime.duckdb",
        ]
        assert [p for p in serving.parent.rglob("*") if ".tmp" in p.name] == []

        # Readers: never an error; every snapshot they saw held each schema whole, marts and gold together.
        final = tables_by_schema(serving)
        assert reader.errors == [], reader.errors[:5]
        seen = [look for look in reader.looks if look != "absent"]
        assert any("realtime" in look for look in seen) and any("marts" in look for look in seen), len(seen)
        partial = [
            look
            for look in seen
            if ("marts" in look) != ("gold" in look) or any(tables != final[s] for s, tables in look.items())
        ]
        assert partial == [], f"{len(partial)} of {len(seen)} looks saw a partial snapshot: {partial[:2]}"

        assert left == [], f"processes left running: {left}"
        ps = subprocess.run(["ps", "-eo", "pid,sid,stat,args"], capture_output=True, text=True).stdout
        ours = [
            line
            for line in ps.splitlines()[1:]
            if (fields := line.split()) and int(fields[1]) in airflow.sessions and "Z" not in fields[2]
        ]
        assert ours == [], "\n".join(ours)
