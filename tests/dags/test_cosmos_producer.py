"""The batch's Cosmos producer (the one `dbt build`): a second try, which only a scheduler restart mid-build
creates (it has no retries), fails and names the cause, where Cosmos's own producer would be skipped and let
the run end `success` with nothing built."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowFailException
from cosmos.operators.watcher import DbtProducerWatcherOperator

from olist_dw.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def batch_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(PROJECT_ROOT / "dags" / "olist_batch.py"))
    assert bag.import_errors == {}
    return bag.dags["olist_batch"]


def test_a_second_try_of_the_producer_fails_naming_the_interrupted_build(batch_dag):
    producer = batch_dag.get_task("transform.dbt_producer_watcher")
    assert producer.retries == 0
    with pytest.raises(AirflowFailException, match=r"try 1 was interrupted.*trigger olist_batch again"):
        producer.execute({"ti": SimpleNamespace(try_number=2), "dag": batch_dag})


def test_a_first_try_of_the_producer_runs_cosmos_build(batch_dag, monkeypatch):
    calls = []
    monkeypatch.setattr(DbtProducerWatcherOperator, "execute", lambda self, context, **kw: calls.append(context))
    producer = batch_dag.get_task("transform.dbt_producer_watcher")
    context = {"ti": SimpleNamespace(try_number=1, xcom_push=lambda key, value: None), "dag": batch_dag}
    producer.execute(context)
    assert calls == [context]


def test_the_producer_pushes_every_status_and_the_dbt_event_of_a_failure_only(batch_dag, monkeypatch):
    pushed = []

    def build(self, context, **kwargs):  # what Cosmos's build callback pushes for two nodes
        for node, final in (("model__olist__fct_orders", "success"), ("model__olist__dim_sellers", "error")):
            for status in ("started", "compiling", "executing", final):
                context["ti"].xcom_push(key=f"{node}_dbt_event", value={"status": status, "msg": status})
            context["ti"].xcom_push(key=f"{node}_status", value={"status": final, "outlet_uris": []})
            context["ti"].xcom_push(key=f"{node}_compiled_sql", value="select 1")

    monkeypatch.setattr(DbtProducerWatcherOperator, "execute", build)
    ti = SimpleNamespace(try_number=1, xcom_push=lambda key, value: pushed.append((key, value)))
    batch_dag.get_task("transform.dbt_producer_watcher").execute({"ti": ti, "dag": batch_dag})

    assert pushed == [
        ("model__olist__fct_orders_status", {"status": "success", "outlet_uris": []}),
        ("model__olist__fct_orders_compiled_sql", "select 1"),
        ("model__olist__dim_sellers_dbt_event", {"status": "error", "msg": "error"}),  # what broke, for its log
        ("model__olist__dim_sellers_status", {"status": "error", "outlet_uris": []}),
        ("model__olist__dim_sellers_compiled_sql", "select 1"),
    ]


def test_the_producer_builds_without_cosmos_xcom_backup_and_restores_the_setting(batch_dag, monkeypatch):
    """Cosmos reads `enable_watcher_reliable_retry` when its producer executes: on, every push also rewrites a
    Variable holding all pushes so far. The project's producer never restores it (a second try fails)."""
    from cosmos import settings as cosmos_settings

    seen = []
    monkeypatch.setattr(cosmos_settings, "enable_watcher_reliable_retry", True)
    monkeypatch.setattr(
        DbtProducerWatcherOperator,
        "execute",
        lambda self, context, **kw: seen.append(cosmos_settings.enable_watcher_reliable_retry),
    )
    ti = SimpleNamespace(try_number=1, xcom_push=lambda key, value: None)
    batch_dag.get_task("transform.dbt_producer_watcher").execute({"ti": ti, "dag": batch_dag})
    assert seen == [False]
    assert cosmos_settings.enable_watcher_reliable_retry is True


def test_the_producers_dbt_logs_nothing_itself_yet_its_events_reach_cosmos_callback(batch_dag, tmp_path, capfd):
    """The producer's dbt loggers are off (cosmos_config.PRODUCER_DBT_LOG_FLAGS): no JSON line on the console, no
    logs/dbt.log. Cosmos's callback, which logs each event's message to the task log and pushes the statuses,
    still receives every event."""
    import shutil

    from dbt.cli.main import dbtRunner

    from olist_dw.cosmos_config import PRODUCER_DBT_LOG_FLAGS
    from olist_dw.settings import DBT_PROJECT_DIR

    producer = batch_dag.get_task("transform.dbt_producer_watcher")
    command = producer.build_cmd(context={}, cmd_flags=producer.add_cmd_flags())[0]
    assert command[-len(PRODUCER_DBT_LOG_FLAGS) :] == list(PRODUCER_DBT_LOG_FLAGS)

    project = tmp_path / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    events: list[str] = []
    flags = ["--project-dir", str(project), "--profiles-dir", str(DBT_PROJECT_DIR), *command[-4:]]
    capfd.readouterr()
    result = dbtRunner(callbacks=[lambda event: events.append(event.info.name)]).invoke(
        ["run", "--select", "no_such_model_anywhere", "--log-format", "json", *flags]
    )
    assert result.success  # nothing selected: dbt says so in an event
    assert {"MainReportVersion", "NothingToDo"} <= set(events)
    assert capfd.readouterr().out == ""
    assert not (project / "logs" / "dbt.log").exists()
