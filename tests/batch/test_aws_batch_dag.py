"""One olist_batch run with OLIST_TARGET=aws through Airflow (`dag.test()` in a subprocess, as
tests/batch/test_land_inbox_dag.py runs it) against a moto server on 127.0.0.1, up to the warehouse.

What runs for real, and what stands in:
- land and validate: the project's tasks on moto's S3 (the inbox, bronze/, quarantine/).
- convert: the Amazon provider's GlueCrawlerRunOperator and GlueJobOperator, as the aws target builds them,
  against moto's Glue, where the crawler and the job are created with the template's names, targets and
  default arguments. moto's crawls and job runs succeed without crawling or running Spark: the job's Spark
  code is proven by tests/batch/test_glue_spark.py. moto 5.2 lacks GetCrawlerMetrics, which the provider
  calls after every crawl: the test adds it to moto's Glue (an answer from moto's own crawler).
- load and publish: the provider's SQL hooks run unchanged down to `redshift_connector.connect`, which the
  DAG process replaces with a recording connection (Redshift cannot be emulated; moto implements none of
  its SQL). The recorded COPY and swap statements are checked against the DDL the same run sent, the Glue
  job's output columns (the script's own SCHEMAS) and the prefix the job run was given.
- transform: dbt on Redshift cannot run here; the DAG's dbt task group is replaced by one stand-in task
  that records its selection and schema suffix. Its SQL is proven by the `dbt compile --target aws` tests
  (tests/batch/test_aws.py).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from olist_dw.airflow_local import airflow_env, ensure_airflow_db
from olist_dw.batch.publish import BUILD_SUFFIX, PREVIOUS_SUFFIX, published_schemas
from olist_dw.contract import SOURCES
from olist_dw.infra.templates import MAIN_TEMPLATE, load_template
from olist_dw.settings import PROJECT_ROOT, get_settings
from tests.dags.dag_runs import report_lines
from tests.infra.emulator import ACCOUNT, REGION, aws_connection_env, moto_server, stack_names

pytestmark = pytest.mark.aws

DAGS = PROJECT_ROOT / "dags"
GLUE_SCRIPT = PROJECT_ROOT / "include" / "glue" / "csv_to_parquet.py"
REDSHIFT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/olist-dev-redshift"
RUN_TIMEOUT_SECONDS = 420

# Runs in the DAG's process before the DAG file is parsed: Redshift's driver records instead of connecting,
# and the dbt task group is one stand-in task. Then one run, and every task instance's state and try.
RUN_WITH_RECORDING_REDSHIFT = """
import json, os, sys
import redshift_connector
from olist_dw import cosmos_config

LOG = os.environ["OLIST_TEST_REDSHIFT_LOG"]


def record(entry):
    from airflow.sdk import get_current_context

    ti = get_current_context()["ti"]
    entry = {"task": ti.task_id, "map_index": ti.map_index, **entry}
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\\n")


class RecordingCursor:
    description = None  # no result set: DDL, COPY and renames return none
    rowcount = -1

    def __init__(self, connection):
        self.connection = connection

    def execute(self, sql, parameters=None):
        record({"sql": sql, "autocommit": bool(self.connection.autocommit)})

    def fetchall(self):
        return []

    def close(self):
        pass


class RecordingConnection:
    autocommit = False

    def cursor(self):
        return RecordingCursor(self)

    def commit(self):
        record({"commit": True})

    def rollback(self):
        record({"rollback": True})

    def close(self):
        pass


def connect(**kwargs):
    record({"connect": kwargs.get("host")})
    return RecordingConnection()


redshift_connector.connect = connect


def dbt_stand_in(group_id, select, target):
    from airflow.sdk import TaskGroup, task

    with TaskGroup(group_id) as group:

        @task(task_id="dbt_build_stand_in")
        def dbt_build_stand_in():
            record({"dbt_build": select, "schema_suffix": target.dbt_env().get("OLIST_DBT_SCHEMA_SUFFIX")})

        dbt_build_stand_in()
    return group


cosmos_config.dbt_task_group = dbt_stand_in

from airflow.dag_processing.dagbag import DagBag
from airflow.models import DagRun, TaskInstance
from airflow.utils.session import create_session

bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
bag.get_dag("olist_batch").test()
with create_session() as session:
    (dag_run,) = session.query(DagRun).filter(DagRun.dag_id == "olist_batch").all()
    tis = session.query(TaskInstance).filter(TaskInstance.run_id == dag_run.run_id).all()
    print("REPORT " + json.dumps({"run": str(dag_run.state),
          "tasks": [[ti.task_id, ti.map_index, str(ti.state), ti.try_number] for ti in tis]}))
"""


def add_get_crawler_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto 5.2's Glue has no GetCrawlerMetrics (GlueCrawlerHook.wait_for_crawler_completion calls it after
    the crawl): answer it from moto's crawler. The server thread runs in this process, so this patch is
    the emulator's."""
    from moto.core.responses import ActionResult
    from moto.glue.responses import GlueResponse

    def get_crawler_metrics(self) -> ActionResult:
        names = self._get_param("CrawlerNameList") or []
        zero = {"LastRuntimeSeconds": 0.0, "MedianRuntimeSeconds": 0.0, "TimeLeftSeconds": 0.0}
        counts = {"TablesCreated": 0, "TablesUpdated": 0, "TablesDeleted": 0, "StillEstimating": False}
        metrics = [
            {"CrawlerName": crawler.name, **zero, **counts}
            for crawler in self.glue_backend.get_crawlers()
            if crawler.name in names
        ]
        return ActionResult({"CrawlerMetricsList": metrics})

    monkeypatch.setattr(GlueResponse, "get_crawler_metrics", get_crawler_metrics, raising=False)


@contextmanager
def glue_runs_take_a_second() -> Iterator[None]:
    """moto's crawls stay RUNNING under its default ("immediate") progression, and the crawler operator would
    wait forever: crawls and job runs move on to their next state after one second, as a (very fast) real run."""
    from moto.moto_api import state_manager

    models = ("glue::crawl", "glue::job_run")
    for model in models:
        state_manager.set_transition(model, {"progression": "time", "seconds": 1})
    try:
        yield
    finally:
        for model in models:
            state_manager.unset_transition(model)


def create_glue_resources(glue, names) -> None:
    """The template's Glue database, crawler (its S3 targets) and job (its default arguments)."""
    glue.create_database(DatabaseInput={"Name": names.glue_database})
    glue.create_crawler(
        Name=names.glue_crawler,
        Role=f"arn:aws:iam::{ACCOUNT}:role/olist-dev-glue-crawler",
        DatabaseName=names.glue_database,
        Targets={"S3Targets": [{"Path": path} for path in names.glue_crawler_s3_targets]},
    )
    glue.create_job(
        Name=names.glue_job,
        Role=f"arn:aws:iam::{ACCOUNT}:role/olist-dev-glue-job",
        GlueVersion="5.0",
        Command={"Name": "glueetl", "ScriptLocation": names.glue_job_default_arguments["--extra-files"]},
        DefaultArguments=names.glue_job_default_arguments,
    )


@pytest.fixture(scope="module")
def aws_batch_run(generated_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """One aws-target olist_batch run on a moto server, shared by this module's tests (a run takes tens of
    seconds): (report, Redshift log, s3 client, glue client, template names, the run's output)."""
    names = stack_names(load_template(MAIN_TEMPLATE))
    tmp = tmp_path_factory.mktemp("aws-batch")
    empty = tmp / "worker-disk"
    empty.mkdir()
    redshift_log = tmp / "redshift.jsonl"
    with pytest.MonkeyPatch.context() as monkeypatch, moto_server() as endpoint, glue_runs_take_a_second():
        add_get_crawler_metrics(monkeypatch)
        redshift_conn = {
            "conn_type": "redshift",
            "host": f"olist.{ACCOUNT}.{REGION}.redshift-serverless.amazonaws.com",
            "port": 5439,
            "schema": "olist",
            "login": "olist_admin",
            "password": "not-used",  # pragma: allowlist secret (the recording driver connects nowhere)
        }
        for name, value in {
            "OLIST_HOME": str(tmp / "olist-home"),
            "OLIST_SOURCE_DIR": str(empty),  # land reads the inbox, not the worker's disk
            "OLIST_TASK_RETRIES": "0",  # a failure shows at once, with no retry delay
            "OLIST_AIRFLOW_DB": "sqlite",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret (moto)
            "AWS_DEFAULT_REGION": REGION,
            "OLIST_TARGET": "aws",
            "OLIST_AWS_REGION": REGION,
            "OLIST_S3_BUCKET": names.lake_bucket,
            "OLIST_REDSHIFT_IAM_ROLE_ARN": REDSHIFT_ROLE,
            "OLIST_TEST_REDSHIFT_LOG": str(redshift_log),
            "AIRFLOW_CONN_REDSHIFT_DEFAULT": json.dumps(redshift_conn),
            **aws_connection_env(endpoint),
        }.items():
            monkeypatch.setenv(name, value)
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
        glue = boto3.client("glue", region_name=REGION, endpoint_url=endpoint)
        s3.create_bucket(Bucket=names.lake_bucket)
        for path in sorted(generated_dataset.iterdir()):
            s3.upload_file(str(path), names.lake_bucket, f"inbox/{path.name}")
        create_glue_resources(glue, names)
        settings = get_settings()
        ensure_airflow_db(settings)
        run_output = tmp / "run-output.txt"
        with run_output.open("w", encoding="utf-8") as out:
            try:
                result = subprocess.run(
                    [sys.executable, "-c", RUN_WITH_RECORDING_REDSHIFT, str(DAGS / "olist_batch.py")],
                    env=airflow_env(settings),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=RUN_TIMEOUT_SECONDS,
                )
            except subprocess.TimeoutExpired:
                tail = run_output.read_text(encoding="utf-8")[-8000:]
                pytest.fail(f"olist_batch still running after {RUN_TIMEOUT_SECONDS} s (killed):\n{tail}")
        output = run_output.read_text(encoding="utf-8")
        reports = report_lines(output)
        assert reports, f"no report (exit {result.returncode}):\n{output[-4000:]}"
        report = reports[-1]
        log = [json.loads(line) for line in redshift_log.read_text(encoding="utf-8").splitlines()]
        yield report, log, s3, glue, names, output


def glue_script():
    spec = importlib.util.spec_from_file_location("csv_to_parquet", GLUE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def statements(log: list[dict[str, Any]], task: str) -> list[dict[str, Any]]:
    """What a task sent to Redshift, without the provider's own reads (OpenLineage asks SELECT CURRENT_SCHEMA())."""
    return [
        entry
        for entry in log
        if entry["task"] == task and "sql" in entry and not entry["sql"].lstrip().upper().startswith("SELECT")
    ]


def one_line(sql: str) -> str:
    return " ".join(sql.split()).rstrip(";")


def ddl_tables(create_statements: list[str]) -> dict[str, list[str]]:
    """{schema.table: column names} of the CREATE TABLE statements (commas inside a type's parentheses kept)."""
    tables = {}
    for statement in create_statements:
        match = re.match(r"create table if not exists (\w+\.\w+) \((.*)\)$", statement, re.IGNORECASE)
        if match:
            tables[match[1]] = [part.split()[0].strip('"') for part in re.split(r",(?![^()]*\))", match[2])]
    return tables


COPY = re.compile(
    r"COPY (?P<table>\S+) FROM '(?P<source>[^']+)' credentials '(?P<credentials>[^']+)' (?P<options>.*)$",
    re.IGNORECASE,
)


def test_aws_olist_batch_runs_to_the_swap_on_the_emulator(aws_batch_run):
    report, log, s3, glue, names, output = aws_batch_run
    states = {(task, index): (state, tries) for task, index, state, tries in report["tasks"]}
    assert report["run"] == "success", (states, output[-4000:])
    assert all(value == ("success", 1) for value in states.values()), states
    copies = sorted(index for task, index in states if task == "load.copy_to_raw")
    assert copies == list(range(len(SOURCES)))  # one mapped COPY per source table
    for task in (
        "land",
        "validate.check_contract",
        "convert.crawl_bronze",
        "convert.csv_to_parquet",
        "load.create_raw_tables",
        "transform.dbt_build_stand_in",
        "publish.swap_schemas",
    ):
        assert (task, -1) in states, task


def test_glue_operators_crawl_and_run_the_job_on_what_land_and_validate_wrote(aws_batch_run):
    report, _, s3, glue, names, _ = aws_batch_run
    crawler = glue.get_crawler(Name=names.glue_crawler)["Crawler"]
    assert crawler["LastCrawl"]["Status"] == "COMPLETED"  # the crawler operator started it and it finished
    (job_run,) = glue.get_job_runs(JobName=names.glue_job)["JobRuns"]
    assert job_run["JobRunState"] == "SUCCEEDED"  # moto's run: no Spark (see the module's docstring)
    # Glue gives the script the job's default arguments overridden by the run's: what the script parses.
    arguments = {**glue.get_job(JobName=names.glue_job)["Job"]["DefaultArguments"], **job_run["Arguments"]}
    paths = glue_script().parse_args([item for pair in arguments.items() for item in pair])

    landed = [o["Key"] for o in s3.list_objects_v2(Bucket=names.lake_bucket, Prefix="bronze/")["Contents"]]
    assert len(landed) == len(SOURCES)
    for key in landed:  # the job reads, and the crawler crawls, where land wrote
        assert f"s3://{names.lake_bucket}/{key}".startswith(paths["source_path"]), (key, paths)
    assert names.glue_crawler_s3_targets == [paths["source_path"]]
    broken_keys = paths["quarantine_path"] + glue_script().BROKEN_KEYS_NAME  # validate wrote what the job reads
    bucket, key = broken_keys.removeprefix("s3://").split("/", 1)
    assert bucket == names.lake_bucket
    s3.head_object(Bucket=bucket, Key=key)
    assert paths["target_path"] == f"s3://{names.lake_bucket}/bronze-parquet/"


def test_each_copy_fills_a_table_of_the_ddl_with_the_glue_jobs_columns_from_its_output(aws_batch_run):
    report, log, s3, glue, names, _ = aws_batch_run
    script = glue_script()
    (job_run,) = glue.get_job_runs(JobName=names.glue_job)["JobRuns"]
    arguments = {**glue.get_job(JobName=names.glue_job)["Job"]["DefaultArguments"], **job_run["Arguments"]}
    target_path = script.parse_args([item for pair in arguments.items() for item in pair])["target_path"]

    ddl = [one_line(entry["sql"]) for entry in statements(log, "load.create_raw_tables")]
    assert ddl[0] == "create schema if not exists raw"
    created = ddl_tables(ddl)
    first_copy = min(i for i, entry in enumerate(log) if entry["task"] == "load.copy_to_raw")
    assert max(i for i, entry in enumerate(log) if entry["task"] == "load.create_raw_tables") < first_copy

    copied = {}
    for index in range(len(SOURCES)):
        sent = [one_line(e["sql"]) for e in statements(log, "load.copy_to_raw") if e["map_index"] == index]
        begin, delete, copy, commit = sent  # REPLACE: the table's rows swap in one transaction
        match = COPY.match(copy)
        assert match, copy
        table = match["table"]
        assert (begin, delete, commit) == ("BEGIN", f"DELETE FROM {table}", "COMMIT"), sent
        assert match["credentials"] == f"aws_iam_role={REDSHIFT_ROLE}"  # Redshift's role, no access key
        assert match["options"] == "FORMAT AS PARQUET", copy
        copied[table] = match["source"]
    assert "testing" not in json.dumps(log)  # the worker's access key is in no statement

    assert sorted(copied) == sorted(created), "every COPY targets a table the DDL creates, and each is filled"
    for table, source in copied.items():
        name = table.removeprefix("raw.")
        glue_columns = [column for column, _, _ in script.SCHEMAS[name][1]]  # what the job writes
        assert created[table] == glue_columns, table
        assert source == f"{target_path}{name}/", (table, source)  # the job's output folder of that table


def test_the_swap_renames_exactly_the_published_schemas_after_the_dbt_stand_in(aws_batch_run):
    report, log, *_ = aws_batch_run
    dbt_runs = [entry for entry in log if "dbt_build" in entry]
    assert [entry["task"] for entry in dbt_runs] == ["transform.dbt_build_stand_in"], dbt_runs
    dbt = dbt_runs[0]
    assert dbt["dbt_build"] == ["tag:batch"] and dbt["schema_suffix"] == BUILD_SUFFIX  # dbt builds <schema>__build
    swap = statements(log, "publish.swap_schemas")
    assert all(entry["autocommit"] for entry in swap)  # the statements carry their own transaction
    assert log.index(dbt) < log.index(swap[0])
    sql = [one_line(entry["sql"]) for entry in swap]
    begin, commit = sql.index("begin"), sql.index("commit")
    assert begin == 0
    renamed = [re.fullmatch(r"alter schema (\w+) rename to (\w+)", s) for s in sql[begin:commit]]
    renames = [(m[1], m[2]) for m in renamed if m]
    published = published_schemas()
    assert sorted(renames) == sorted(
        [(s, s + PREVIOUS_SUFFIX) for s in published] + [(s + BUILD_SUFFIX, s) for s in published]
    )
    referenced = {name for s in sql for name in re.findall(r"schema (?:if (?:not )?exists )?(\w+)", s)}
    referenced |= {name for s in sql for name in re.findall(r"rename to (\w+)", s)}
    suffixes = (BUILD_SUFFIX, PREVIOUS_SUFFIX)
    assert {name.removesuffix(suffixes[0]).removesuffix(suffixes[1]) for name in referenced} == set(published)
