"""Is the data fresh? dbt source freshness on the streamed orders, and the age of the published `gold_sim`.

The `olist_freshness` DAG calls `check_freshness` on its own clock (OLIST_FRESHNESS_SCHEDULE, every minute by
default), not after each micro-batch: a check on the micro-batch's path held every next micro-batch back
(max_active_runs=1) for its whole run, and a check that runs only when events arrive cannot see them stop.

1. `dbt source freshness --select source:sim` with the DAGs' dbt environment (Target.dbt_env): the newest event's
   `produced_at` (the simulator's wall clock, UTC) against OLIST_SIM_FRESHNESS_WARN_MINUTES / _ERROR_MINUTES.
   A warn or error (or a freshness query that could not run) is a `source_freshness` alert. Locally dbt runs on
   the `local_lake` profile output (Target.freshness_dbt_target): an in-memory DuckDB that reads the lake's
   Parquet in place, so the check takes no warehouse lock and waits for no writer. Before the first file lands
   there is nothing to measure and no alert (`no events yet`).
2. The published `realtime.gold_sim`'s age, now minus its newest `_silver_loaded_at`, read from the serving
   snapshot read-only. Older than OLIST_GOLD_SIM_STALE_SECONDS while the simulator produces orders (its newest
   event is younger than that) is a `stale_gold_sim` alert: events arrive but readers do not see them (a failing
   dbt build or publish). When the simulator is idle, an old gold_sim is expected and step 1 says so.

An alert like one already sent (same DAG, kind, severity) within OLIST_ALERT_REPEAT_MINUTES is held back
(`alerts_due`): a condition lasting many micro-batches alerts when it starts or worsens, then at that pace.

The nine batch sources have no load time (the loader adds no column; the Olist timestamps are business dates of
2016-2018), so dbt freshness is declared on the streamed orders only. See docs/operations.md.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from olist_dw.alerts import Alert, Severity, read_alerts, send_alert
from olist_dw.lake import BRONZE_SIM
from olist_dw.settings import Settings

if TYPE_CHECKING:
    from olist_dw.targets import Target

log = logging.getLogger(__name__)

SIM_SOURCE_SELECTOR = "source:sim"
# dbt's freshness statuses that are alerts, and their severity.
ALERT_SEVERITY: dict[str, Severity] = {"warn": "warn", "error": "error", "runtime error": "error"}
NO_EVENTS_YET = "no events yet"  # our status, not dbt's: the lake holds no streamed file to measure


@dataclass(frozen=True)
class SourceFreshness:
    source: str  # e.g. "sim.orders"
    status: str  # dbt's (pass, warn, error, runtime error) or NO_EVENTS_YET
    age_seconds: float | None
    max_loaded_at: str | None
    message: str | None = None


def freshness_dir(settings: Settings) -> Path:
    """dbt's target/ and logs of the freshness runs (sources.json is there), out of the project's target/."""
    return settings.home / "freshness"


def run_source_freshness(
    settings: Settings, target: Target, select: str = SIM_SOURCE_SELECTOR
) -> list[SourceFreshness]:
    """`dbt source freshness` in-process; one outcome per source table (a dbt that could not run: one outcome
    with status "runtime error")."""
    from olist_dw.dbt_runner import invoke_dbt, release_in_process_dbt_duckdb

    # The thresholds the sources YAML reads (env_var): from the settings, so their defaults live in one place.
    os.environ["OLIST_SIM_FRESHNESS_WARN_MINUTES"] = str(settings.sim_freshness_warn_minutes)
    os.environ["OLIST_SIM_FRESHNESS_ERROR_MINUTES"] = str(settings.sim_freshness_error_minutes)
    folder = freshness_dir(settings)
    args = ["source", "freshness", "--select", select, "--quiet"]
    args += ["--target-path", str(folder / "target"), "--log-path", str(folder / "logs")]
    if target.freshness_dbt_target:
        args += ["--target", target.freshness_dbt_target]
    try:
        result = invoke_dbt(args, target)
    finally:
        release_in_process_dbt_duckdb()  # a later task of the same process (airflow dags test) opens the file
    if result.result is None or not hasattr(result.result, "results"):
        return [SourceFreshness(select, "runtime error", None, None, f"dbt source freshness: {result.exception}")]
    outcomes = []
    for node_result in result.result.results:
        node = node_result.node
        if getattr(node, "resource_type", None) != "source":
            continue  # the on-run-end hook
        max_loaded_at = getattr(node_result, "max_loaded_at", None)
        outcomes.append(
            SourceFreshness(
                source=f"{node.source_name}.{node.name}",
                status=str(node_result.status),
                age_seconds=getattr(node_result, "age", None),
                max_loaded_at=max_loaded_at.isoformat() if max_loaded_at is not None else None,
                message=node_result.message,
            )
        )
    return outcomes


def published_gold_sim_age(settings: Settings) -> float | None:
    """Seconds since the newest row of the published realtime.gold_sim was loaded; None before the first publish
    (no serving snapshot, no gold_sim or no row). Read-only on the serving file: never a lock the pipeline needs."""
    import duckdb

    from olist_dw.errors import UserFacingError
    from olist_dw.warehouse import connect_read_only

    try:
        con = connect_read_only(settings.serving_path)
    except UserFacingError:
        return None  # nothing published yet
    try:
        # Both sides in the reader's session time zone, as dbt wrote _loaded_at (cast(current_timestamp as timestamp)).
        row = con.execute(
            "select epoch(cast(current_timestamp as timestamp)) - epoch(max(_silver_loaded_at)) from realtime.gold_sim"
        ).fetchone()
    except duckdb.CatalogException:
        return None  # a snapshot of the batch only: no realtime schema yet
    finally:
        con.close()
    return float(row[0]) if row is not None and row[0] is not None else None


def freshness_alerts(
    settings: Settings, outcomes: list[SourceFreshness], gold_sim_age: float | None, ids: dict[str, str | None]
) -> list[Alert]:
    """The alerts these measurements make (pure: no I/O)."""
    alerts = []
    for outcome in outcomes:
        severity = ALERT_SEVERITY.get(outcome.status)
        if severity is None:
            continue
        if outcome.status == "runtime error":
            message = f"source {outcome.source}: freshness could not be measured: {outcome.message}"
        else:
            limit = settings.sim_freshness_error_minutes if severity == "error" else settings.sim_freshness_warn_minutes
            message = (
                f"source {outcome.source}: newest event {outcome.age_seconds:.0f} s old "
                f"(at {outcome.max_loaded_at}), over the {severity} threshold of {limit} min"
            )
        alerts.append(
            Alert("source_freshness", severity, message, ids.get("dag_id"), ids.get("task_id"), ids.get("run_id"))
        )
    stale = settings.gold_sim_stale_seconds
    event_ages = [o.age_seconds for o in outcomes if o.source == "sim.orders" and o.age_seconds is not None]
    simulator_produces = bool(event_ages) and min(event_ages) < stale
    if simulator_produces and gold_sim_age is not None and gold_sim_age > stale:
        alerts.append(
            Alert(
                kind="stale_gold_sim",
                severity="error",
                message=(
                    f"published realtime.gold_sim is {gold_sim_age:.0f} s old (OLIST_GOLD_SIM_STALE_SECONDS="
                    f"{stale:g}) while the simulator produced an event {min(event_ages):.0f} s ago"
                ),
                dag_id=ids.get("dag_id"),
                task_id=ids.get("task_id"),
                run_id=ids.get("run_id"),
            )
        )
    return alerts


def _alert_key(record: dict[str, Any]) -> tuple[Any, Any, Any]:
    return record.get("dag_id"), record.get("kind"), record.get("severity")


def alerts_due(settings: Settings, alerts: list[Alert], sent: list[dict[str, Any]], now: datetime) -> list[Alert]:
    """The alerts to send (pure): not one alike (same DAG, kind, severity) already sent within
    OLIST_ALERT_REPEAT_MINUTES. A stale condition lasts across many micro-batches: its alert goes out when it
    starts, when it worsens (a new severity) and then every OLIST_ALERT_REPEAT_MINUTES, not every few seconds."""
    window = timedelta(minutes=settings.alert_repeat_minutes)
    recent = set()
    for record in sent:
        try:
            at = datetime.fromisoformat(record["at"])
        except (KeyError, TypeError, ValueError):
            continue
        if now - at < window:
            recent.add(_alert_key(record))
    return [alert for alert in alerts if _alert_key(alert.as_record()) not in recent]


def check_freshness(settings: Settings, target: Target, context: Any = None) -> dict[str, Any]:
    """Measure, send the alerts (local file + OLIST_ALERT_CONN_ID), return what was measured (the task's XCom).

    Never raises for stale data: a freshness warning must not fail the micro-batch."""
    context = context or {}
    ti = context.get("ti")
    ids = {
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None) or context.get("run_id"),
    }
    if target.lake().has_keys(f"{BRONZE_SIM}/"):
        outcomes = run_source_freshness(settings, target)
    else:  # nothing delivered yet (a new home, the simulator not started): nothing to be stale
        outcomes = [SourceFreshness("sim.orders", NO_EVENTS_YET, None, None, f"no file under {BRONZE_SIM}/ yet")]
    gold_sim_age = published_gold_sim_age(settings)
    alerts = freshness_alerts(settings, outcomes, gold_sim_age, ids)
    due = alerts_due(settings, alerts, read_alerts(settings, limit=None), datetime.now(UTC))
    for alert in due:
        send_alert(alert, settings, context)
    summary = {
        "sources": [asdict(outcome) for outcome in outcomes],
        "gold_sim_age_seconds": gold_sim_age,
        "alerts": [alert.kind for alert in due],
        "alerts_held_back": [alert.kind for alert in alerts if alert not in due],  # sent within the repeat window
    }
    log.info("freshness: %s", json.dumps(summary))
    return summary
