"""Lineage: a real olist_batch run and a real olist_realtime micro-batch (`airflow dags test`) leave OpenLineage
events in OLIST_HOME/lineage/events.jsonl (the file transport the local Airflow sets) that name the lake paths,
the raw tables and the marts as inputs and outputs, in one connected graph: load writes the raw tables dbt reads
(Cosmos's producer), dbt writes the marts publish reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from olist_dw.lineage import airflow_lineage_env, events_path, read_events, task_datasets
from olist_dw.settings import get_settings
from olist_dw.warehouse import set_file
from tests.sim.conftest import tick_and_deliver


def datasets(events: list[dict], job: str, side: str) -> set[str]:
    """`namespace/name` of the inputs or outputs of a job's COMPLETE events."""
    found = set()
    for event in events:
        if event.get("eventType") == "COMPLETE" and event["job"]["name"] == job:
            found |= {f"{d['namespace']}/{d['name']}" for d in event.get(side, [])}
    return found


def summary(events: list[dict]) -> str:
    jobs = sorted({e["job"]["name"] for e in events if e.get("eventType") == "COMPLETE"})
    return json.dumps({job: [sorted(datasets(events, job, s)) for s in ("inputs", "outputs")] for job in jobs})[:6000]


@pytest.mark.e2e
def test_the_batch_and_a_micro_batch_emit_lineage_of_lake_raw_tables_and_marts(
    sim_home, generated_dataset, monkeypatch, tmp_path
):
    from olist_dw.airflow_local import run_dag
    from olist_dw.demo.batch import run_batch_dag

    source = tmp_path / "batch-source"
    shutil.copytree(generated_dataset, source)
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(source))
    monkeypatch.setenv("OLIST_TASK_RETRIES", "0")
    for name in ("AIRFLOW__OPENLINEAGE__TRANSPORT", "OPENLINEAGE_URL", "OPENLINEAGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    settings = get_settings()
    run_batch_dag(settings, tmp_path / "olist_batch.log")

    tick_and_deliver(2)
    run_dag("olist_realtime", settings, tmp_path / "olist_realtime.log")

    events = read_events(settings)
    assert events, f"no OpenLineage event in {events_path(settings)}"
    lake, warehouse, serving = settings.lake_dir, settings.warehouse_path, settings.serving_path
    raw_orders = f"duckdb://{warehouse}/warehouse.raw.orders"
    fct_orders = f"duckdb://{warehouse}/warehouse.marts.fct_orders"
    info = summary(events)

    # The project's own tasks: source file -> bronze/ -> bronze-parquet/ (+ quarantine/) -> raw.
    assert f"file/{source}/olist_orders_dataset.csv" in datasets(events, "olist_batch.land", "inputs"), info
    assert f"file/{lake}/bronze/orders" in datasets(events, "olist_batch.land", "outputs"), info
    validated = datasets(events, "olist_batch.validate", "outputs")
    assert {f"file/{lake}/bronze-parquet/orders", f"file/{lake}/quarantine/orders"} <= validated, info
    assert f"file/{lake}/bronze-parquet/orders" in datasets(events, "olist_batch.load", "inputs"), info
    assert raw_orders in datasets(events, "olist_batch.load", "outputs"), info

    # Cosmos's one dbt build: the raw tables in (the same names load wrote), the marts and gold out.
    producer = "olist_batch.transform.dbt_producer_watcher"
    assert raw_orders in datasets(events, producer, "inputs"), info
    built = datasets(events, producer, "outputs")
    assert {fct_orders, f"duckdb://{warehouse}/warehouse.gold.daily_revenue_by_state"} <= built, info

    # Publish: the built marts in, the serving snapshot's out.
    assert fct_orders in datasets(events, "olist_batch.publish", "inputs"), info
    assert f"duckdb://{serving}/analytics.marts.fct_orders" in datasets(events, "olist_batch.publish", "outputs")

    # The micro-batch: dbt builds realtime from the streamed orders; publish_realtime serves gold_sim.
    realtime_built = datasets(events, "olist_realtime.dbt_build_realtime", "outputs")
    assert f"duckdb://{warehouse}/warehouse.realtime.gold_sim" in realtime_built, info
    streamed_orders = f"duckdb://{warehouse}/warehouse.bronze_sim_ext.orders"  # dbt's name of source sim.orders
    assert streamed_orders in datasets(events, "olist_realtime.dbt_build_realtime", "inputs"), info
    served = datasets(events, "olist_realtime.publish_realtime", "outputs")
    assert f"duckdb://{set_file(serving, 'realtime')}/analytics_realtime.realtime.gold_sim" in served, info


def test_local_lake_prefixes_are_file_datasets_and_realtime_is_served_from_its_set_file(olist_home):
    settings = get_settings()
    inputs, outputs = task_datasets(settings, "olist_batch", "validate")
    assert ("file", f"{settings.lake_dir}/bronze/orders") in inputs
    assert ("file", f"{settings.lake_dir}/quarantine/orders") in outputs
    assert ("file", f"{settings.lake_dir}/bronze-parquet/orders") in outputs

    _, delivered = task_datasets(settings, "olist_sim_delivery", "deliver")
    streamed_orders = (f"duckdb://{settings.warehouse_path}", "warehouse.bronze_sim_ext.orders")
    assert delivered == [("file", f"{settings.lake_dir}/bronze-sim"), streamed_orders]

    built, served = task_datasets(settings, "olist_realtime", "publish_realtime")
    realtime_file = settings.serving_path.with_name("analytics.realtime.duckdb")
    assert (f"duckdb://{settings.warehouse_path}", "warehouse.realtime.gold_sim") in built
    assert (f"duckdb://{realtime_file}", "analytics_realtime.realtime.gold_sim") in served
    assert task_datasets(settings, "olist_batch", "not_a_project_task") == ([], [])


def test_a_transport_the_user_set_is_kept(olist_home, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", "http://127.0.0.1:5000")
    env = airflow_lineage_env(get_settings())
    assert "AIRFLOW__OPENLINEAGE__TRANSPORT" not in env
    assert env["AIRFLOW__OPENLINEAGE__EXTRACTORS"] == "olist_dw.lineage.ProjectTaskExtractor"
    monkeypatch.delenv("OPENLINEAGE_URL")
    transport = json.loads(airflow_lineage_env(get_settings())["AIRFLOW__OPENLINEAGE__TRANSPORT"])
    assert transport == {"type": "file", "log_file_path": str(events_path(get_settings())), "append": True}
    assert Path(transport["log_file_path"]).parent.is_dir()
