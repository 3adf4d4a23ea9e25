"""The real-time DAGs: wiring on both targets (parsing only; the demo runs them for real)."""

from __future__ import annotations

import pytest

from olist_dw.settings import PROJECT_ROOT

DAGS_DIR = PROJECT_ROOT / "dags"
REALTIME_FILES = ["olist_realtime.py", "olist_sim_generator.py", "olist_sim_delivery.py", "olist_freshness.py"]


def _parse(monkeypatch, target: str):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("OLIST_TARGET", target)
    monkeypatch.setenv("OLIST_S3_BUCKET", "olist-lake-test")
    monkeypatch.setenv("OLIST_SQS_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/olist-bronze-sim")
    dags = {}
    for name in REALTIME_FILES:
        bag = DagBag(dag_folder=str(DAGS_DIR / name))
        assert not bag.import_errors, bag.import_errors
        dags.update(bag.dags)
    return dags


def test_local_wiring(olist_home, monkeypatch):
    dags = _parse(monkeypatch, "local")
    assert set(dags) == {"olist_realtime", "olist_sim_generator", "olist_sim_delivery", "olist_freshness"}

    delivery = dags["olist_sim_delivery"]
    assert type(delivery.timetable).__name__ == "ContinuousTimetable" and delivery.max_active_runs == 1
    (deliver,) = delivery.tasks
    assert [a.name for a in deliver.outlets] == ["olist_bronze_sim"]

    generator = dags["olist_sim_generator"]
    assert generator.timetable.expression == "* * * * *" and generator.max_active_runs == 1

    realtime = dags["olist_realtime"]
    assert realtime.max_active_runs == 1
    assert [a.name for a in realtime.timetable.asset_condition.objects] == ["olist_bronze_sim"]
    # The micro-batch ends with its publish: nothing after it holds the next one back (max_active_runs=1).
    assert sorted(t.task_id for t in realtime.tasks) == ["dbt_build_realtime", "publish_realtime"]
    build = realtime.get_task("dbt_build_realtime")
    assert build.select == ["tag:realtime"]
    assert realtime.get_task("publish_realtime").upstream_task_ids == {"dbt_build_realtime"}
    assert {t.pool for t in realtime.tasks} == {"olist_warehouse"}

    # Freshness on its own clock, outside the writers' pool (it reads the lake, not the warehouse).
    freshness = dags["olist_freshness"]
    assert freshness.timetable.expression == "* * * * *" and freshness.max_active_runs == 1
    (check,) = freshness.tasks
    assert check.task_id == "check_freshness" and check.pool == "default_pool"


def test_aws_wiring_watches_the_sqs_queue(olist_home, monkeypatch):
    from airflow.providers.amazon.aws.triggers.sqs import SqsSensorTrigger

    dags = _parse(monkeypatch, "aws")
    assert set(dags) == {"olist_realtime", "olist_freshness"}  # EventBridge + Lambda generate, Firehose delivers
    (asset,) = dags["olist_realtime"].timetable.asset_condition.objects
    assert asset.uri.rstrip("/") == "s3://olist-lake-test/bronze-sim"
    (watcher,) = asset.watchers
    assert isinstance(watcher.trigger, SqsSensorTrigger)
    assert watcher.trigger.sqs_queue.endswith("/olist-bronze-sim")
    # Spectrum reads only catalogued partitions: they are registered before dbt reads them.
    realtime = dags["olist_realtime"]
    assert realtime.get_task("dbt_build_realtime").upstream_task_ids == {"register_realtime_partitions"}


@pytest.mark.parametrize("name", REALTIME_FILES)
def test_dag_files_are_thin(name):
    text = (DAGS_DIR / name).read_text()
    assert "import boto3" not in text and "duckdb" not in text
