"""The Glue job script: it reads the same contract file as olist_dw (from its working directory, where
--extra-files puts it), and its pure transform (plain Python, no Spark needed) keeps and types exactly the
rows the local validate+convert keep, also when keys between the files are broken (it drops the rows
holding the broken keys that check_contract, validate on S3, wrote to quarantine/broken_keys.json)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from olist_dw.batch import rules
from olist_dw.batch.convert import ARROW_TYPES, typed_table
from olist_dw.batch.validate import check_file
from olist_dw.contract import CONTRACT_FILE, SOURCES, SOURCES_BY_TABLE
from olist_dw.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "include" / "glue" / "csv_to_parquet.py"
SPARK_FOR_ARROW = {
    pa.string(): "string",
    pa.int32(): "int",
    pa.decimal128(12, 2): "decimal(12,2)",
    pa.float64(): "double",
    pa.timestamp("us"): "timestamp",
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
            assert glue.SPARK_TYPES[column.kind.value] == SPARK_FOR_ARROW[ARROW_TYPES[column.kind]], column


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
    with pytest.raises(ValueError, match="--target_path"):
        glue.parse_args(["--source_path", "s3://b/bronze/", "--target_path", "/tmp/out"])


@pytest.mark.parametrize("table", ["orders", "order_items", "order_reviews", "products", "geolocation"])
def test_transform_matches_the_local_converter(glue, generated_dataset: Path, table: str):
    source = SOURCES_BY_TABLE[table]
    data = (generated_dataset / source.file_name).read_bytes()
    lines = data.splitlines(keepends=True)
    # one row the validator quarantines: its first field (an id or a zip prefix) gets a stray character
    data = b"".join([lines[0], b"x" + lines[1], *lines[2:]])
    local = typed_table(source, check_file(source, source.file_name, data).good_rows).to_pylist()
    records = list(csv.reader(io.StringIO(data.decode(), newline="")))[1:]
    glued = [dict(zip(source.header, row, strict=True)) for row in glue.transform_rows(table, records)]
    assert len(glued) == len(records) - 1
    assert glued == local


def break_keys(source_dir: Path) -> None:
    """Cut the last rows of customers, products and sellers (their orders and items lose their parent) and
    give one order an impossible purchase time (its items, payments and reviews go with it)."""
    for table in ("customers", "products", "sellers"):
        path = source_dir / SOURCES_BY_TABLE[table].file_name
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[: len(lines) * 19 // 20]))
    path = source_dir / SOURCES_BY_TABLE["orders"].file_name
    lines = path.read_bytes().splitlines(keepends=True)
    purchase = lines[5].split(b",")[3]
    lines[5] = lines[5].replace(purchase, b"2017-13-45 99:99:99")
    path.write_bytes(b"".join(lines))


def csv_records(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))[1:]


def test_transform_drops_the_rows_check_contract_quarantined_for_broken_keys(glue, source_dir: Path, olist_home: Path):
    """check_contract (validate without Parquet, as on AWS) writes the broken keys; with them the job keeps
    exactly the rows the local validate put into bronze-parquet. (The lake is a folder here: S3Lake's
    writes are covered in test_aws.py; the keys are the same whatever the lake.)"""
    import pyarrow.parquet as pq

    from olist_dw.batch.land import land_all
    from olist_dw.batch.validate import validate_all
    from olist_dw.lake import LocalLake

    break_keys(source_dir)
    local, aws = LocalLake(olist_home / "lake"), LocalLake(olist_home / "lake-as-on-aws")
    for lake in (local, aws):
        land_all(lake, source_dir)
    validate_all(local, max_fraction=0.5)  # the local path: write_parquet=True
    validate_all(aws, max_fraction=0.5, write_parquet=False)  # check_contract
    assert not aws.list_keys("bronze-parquet/")
    broken_keys = glue.read_broken_keys(aws.read_bytes("quarantine/" + glue.BROKEN_KEYS_NAME).decode())
    assert set(broken_keys) == {"orders", "order_items", "order_payments", "order_reviews"}
    assert set(broken_keys["order_items"]) == {"order_id", "product_id", "seller_id"}
    for source in SOURCES:
        records = csv_records(source_dir / source.file_name)
        glued = [
            dict(zip(source.header, row, strict=True))
            for row in glue.transform_rows(source.table, records, broken_keys.get(source.table))
        ]
        local_rows = pq.read_table(local.path(f"bronze-parquet/{source.table}/part-0.parquet")).to_pylist()
        assert glued == local_rows, source.table
        if source.table in broken_keys:  # without the keys the job would keep the orphans
            assert len(list(glue.transform_rows(source.table, records))) > len(glued), source.table
