"""The Glue job script without Spark: it reads the same contract file as olist_dw (from its working
directory, where --extra-files puts it), its schemas and rules are the contract's, its arguments. That it
keeps and types exactly the rows the local validate+convert keep (also when keys between the files are
broken) is proven by running it in Spark: tests/batch/test_glue_spark.py."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from olist_dw.batch import rules
from olist_dw.batch.convert import PARQUET_TYPES
from olist_dw.contract import CONTRACT_FILE, SOURCES
from olist_dw.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "include" / "glue" / "csv_to_parquet.py"
SPARK_FOR_DUCKDB = {
    "VARCHAR": "string",
    "INTEGER": "int",
    "DECIMAL(12, 2)": "decimal(12,2)",
    "DOUBLE": "double",
    "TIMESTAMP": "timestamp_ntz",  # zone-less on both paths
}


def load_script():
    spec = importlib.util.spec_from_file_location("csv_to_parquet", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def glue():
    return load_script()


def test_the_job_reads_the_contract_file(glue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    assert glue.contract_path().resolve() == CONTRACT_FILE.resolve()  # outside Glue: the repository's file
    assert json.loads(CONTRACT_FILE.read_text(encoding="utf-8")) == glue.CONTRACT
    # In Glue, --extra-files copies the file into the driver's working directory: the job reads it there.
    shutil.copy(CONTRACT_FILE, tmp_path / glue.CONTRACT_NAME)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OLIST_SOURCES_CONTRACT", raising=False)
    assert glue.contract_path() == tmp_path / glue.CONTRACT_NAME
    monkeypatch.setenv("OLIST_SOURCES_CONTRACT", str(CONTRACT_FILE))
    assert glue.contract_path() == CONTRACT_FILE
    assert load_script().SCHEMAS == glue.SCHEMAS


def test_schemas_agree_with_the_contract(glue):
    assert list(glue.SCHEMAS) == [s.table for s in SOURCES]
    for source in SOURCES:
        file_name, columns = glue.SCHEMAS[source.table]
        assert file_name == source.file_name
        assert columns == [(c.name, c.kind.value, c.nullable) for c in source.columns]
        for column in source.columns:
            assert glue.SPARK_TYPES[column.kind.value] == SPARK_FOR_DUCKDB[PARQUET_TYPES[column.kind]], column


def test_rules_agree_with_the_validator(glue):
    assert {kind.value: pattern for kind, pattern in rules.PATTERNS.items()} == glue.PATTERNS
    assert {key: tuple(values) for key, values in rules.ALLOWED_VALUES.items()} == glue.ALLOWED_VALUES


def test_job_arguments(glue):
    args = glue.parse_args(
        ["--JOB_NAME", "j", "--source_path", "s3://b/bronze", "--target_path", "s3://b/bronze-parquet/"]
    )
    assert (args["source_path"], args["target_path"]) == ("s3://b/bronze/", "s3://b/bronze-parquet/")
    assert args["quarantine_path"] == "s3://b/quarantine/"  # beside bronze/, where validate writes
    args = glue.parse_args(
        ["--source_path", "s3://b/x/bronze/", "--target_path", "s3://b/p", "--quarantine_path", "s3://q"]
    )
    assert args["quarantine_path"] == "s3://q/"
    args = glue.parse_args(["--source_path", "file:///tmp/lake/bronze", "--target_path", "file:///tmp/lake/pq"])
    assert args["quarantine_path"] == "file:///tmp/lake/quarantine/"  # any scheme Spark reads
    with pytest.raises(ValueError, match="--target_path must be a URI"):
        glue.parse_args(["--source_path", "s3://b/bronze/", "--target_path", "/tmp/out"])


def test_the_contract_rules_in_spark_syntax(glue):
    assert glue.SPARK_TIMESTAMP_FORMAT == "yyyy-MM-dd HH:mm:ss"
    with pytest.raises(ValueError, match="timestamp_format"):
        glue.spark_datetime_pattern("%d/%m/%Y %I:%M %p")
    # Java's `$` matches before a final line break; `\z` only at the end, as RE2's `$` in validate
    assert glue.java_full_match("^[0-9]{5}$") == "^[0-9]{5}\\z"
    with pytest.raises(ValueError, match="anchored"):
        glue.java_full_match("[0-9]{5}")
