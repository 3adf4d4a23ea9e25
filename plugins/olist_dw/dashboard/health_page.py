"""The dashboard's "Data health" page (a page of app.py's navigation): what olist_dw.dashboard.health reads,
laid out. Tables are st.table (plain HTML: every figure is text on the page); nothing here writes anything."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import streamlit as st

from olist_dw.dashboard import health, queries
from olist_dw.settings import get_settings


def seconds_text(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        rest = f" {seconds % 60:.0f} s" if round(seconds % 60) else ""
        return f"{seconds // 60:.0f} min{rest}"
    if seconds < 86400:
        rest = f" {seconds % 3600 // 60:.0f} min" if seconds % 3600 >= 60 else ""
        return f"{seconds // 3600:.0f} h{rest}"
    return f"{seconds / 86400:.1f} days"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _when(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M:%S} UTC"


def _table(frame: pd.DataFrame) -> None:
    st.table(frame.reset_index(drop=True).fillna("–").astype(str))


def dag_runs_section(settings) -> None:
    st.subheader("DAG runs")
    runs = health.dag_runs(settings)
    if not runs.reachable:
        st.info(runs.message)
        return
    last = runs.last_runs()
    cols = st.columns(max(1, len(last)))
    for col, row in zip(cols, last.itertuples(), strict=False):
        state = row.state if isinstance(row.state, str) else "no runs yet"
        col.metric(row.dag_id, state, help=f"last run {row.run_id}" if isinstance(row.run_id, str) else None)
        col.caption(("paused · " if row.paused else "") + f"took {seconds_text(row.duration_seconds)}")
    if not runs.runs.empty:
        shown = runs.runs.assign(
            started=runs.runs["start_date"].map(_when),
            duration=runs.runs["duration_seconds"].map(seconds_text),
        )[["dag_id", "state", "started", "duration", "run_type", "run_id"]]
        _table(shown)
    st.caption(f"From Airflow's REST API at {runs.url} (last {health.RUNS_PER_DAG} runs per DAG).")


def dbt_section(settings) -> None:
    st.subheader("dbt tests of the last build")
    builds = health.dbt_builds(settings)
    for problem in builds.problems:
        st.warning(problem)
    if builds.builds.empty:
        st.info("No dbt build has run yet (its results are kept by the batch and micro-batch DAGs).")
        return
    for build in builds.builds.itertuples():
        failed = int(build.tests_failed)
        verdict = f"{failed} failed" if failed else "all passed"
        skipped = f", {int(build.tests_skipped)} skipped" if build.tests_skipped else ""
        st.markdown(
            f"**{build.dag_id}** ({_when(build.generated_at)}): {_count(int(build.tests), 'test')}, "
            f"{int(build.tests_passed)} passed, {verdict}{skipped}"
        )
    failing = builds.failed_tests()
    if failing.empty:
        st.success("No failing dbt test in the last builds.")
    else:
        st.warning(f"{_count(len(failing), 'dbt test')} failed in the last builds:")
        _table(failing[["dag_id", "test", "status", "failures", "message"]])


def lake_sections(settings) -> None:
    from olist_dw.targets import get_target

    lake = get_target(settings).lake()
    st.subheader("Quarantined rows")
    found = health.quarantine(lake)
    for problem in found.problems:
        st.warning(problem)
    if found.files.empty:
        st.info("No validation has run yet.")
    elif found.by_reason.empty:
        st.success(f"No row quarantined in the {len(found.files)} files of the last validation.")
    else:
        st.markdown(f"{_count(int(found.files['rejected'].sum()), 'row')} quarantined, by file and reason:")
        _table(found.by_reason)
    if not found.broken_keys.empty:
        st.markdown("Broken keys (values missing from, or quarantined in, the file they reference):")
        _table(found.broken_keys)

    st.subheader("Dead-lettered events")
    letters = health.dead_letters(lake)
    if letters.events.empty:
        st.success("No dead-lettered event.")
    else:
        st.metric("Dead-lettered events", f"{len(letters.events):,}")
        _table(letters.by_reason())
        latest = letters.events.head(10).assign(arrived_at=letters.events["arrived_at"].head(10).map(_when))
        _table(latest[["arrived_at", "reason", "detail", "sequence_number"]])
    if letters.unreadable_lines:
        st.warning(f"{_count(letters.unreadable_lines, 'line')} of {health.BRONZE_SIM_ERRORS}/ could not be read.")


def freshness_section(settings) -> None:
    st.subheader("Freshness of gold_sim")
    fresh = health.gold_sim_freshness(health.gold_sim_stale_seconds(settings))
    if not fresh["published"]:
        st.info(f"realtime.gold_sim is not published yet: {queries.REALTIME_HINT}.")
        return
    if fresh["age_seconds"] is None:
        st.info("realtime.gold_sim is published but holds no rows yet.")
        return
    st.metric("Age of gold_sim's newest row", seconds_text(fresh["age_seconds"]))
    limit = seconds_text(fresh["stale_after_seconds"])
    newest = f"{fresh['newest_loaded_at']:%Y-%m-%d %H:%M:%S}"
    if fresh["stale"]:
        st.warning(f"gold_sim is stale: its newest row was loaded at {newest}, more than {limit} ago.")
    else:
        st.success(f"gold_sim is fresh (newest row loaded at {newest}; stale after {limit}).")


def alerts_section(settings) -> None:
    st.subheader("Recent alerts")
    found = health.recent_alerts(settings)
    if found.alerts.empty:
        st.success(f"No alerts (none in {found.path}).")
    else:
        shown = found.alerts.assign(at=found.alerts["at"].map(_when))
        _table(shown[["at", "severity", "kind", "dag_id", "task_id", "message"]])
    if found.unreadable_lines:
        st.caption(f"{_count(found.unreadable_lines, 'line')} of {found.path} could not be read (e.g. being written).")


@st.fragment(run_every=get_settings().dashboard_refresh_seconds)
def health_panels() -> None:
    settings = get_settings()
    dag_runs_section(settings)
    dbt_section(settings)
    lake_sections(settings)
    freshness_section(settings)
    alerts_section(settings)
    st.caption(f"Refreshed {dt.datetime.now():%H:%M:%S} every {settings.dashboard_refresh_seconds:g} s (read-only).")


st.title("Data health")
health_panels()
