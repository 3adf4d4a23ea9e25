"""The order generator's Lambda package builds, is reproducible, and its handler imports from it alone."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from olist_dw.infra.lambda_package import build
from olist_dw.settings import PROJECT_ROOT


def test_package_holds_handler_core_and_dependencies_but_not_the_runtime(lambda_package):
    names = set(zipfile.ZipFile(lambda_package.path).namelist())
    assert "handler.py" in names
    assert {"olist_dw/__init__.py", "olist_dw/settings.py", "olist_dw/sim/core.py"} <= names
    assert "olist_dw/sim/order_event.schema.json" in names
    assert any(n.startswith("faker/") for n in names) and any(n.startswith("pydantic_settings/") for n in names)
    assert any(n.startswith("pydantic_core/") and n.endswith(".so") for n in names)  # built for Linux x86_64
    # boto3 comes with the runtime; Airflow, dbt, DuckDB and the deploy code never go in.
    for absent in ("boto3/", "botocore/", "airflow/", "dbt/", "duckdb/", "olist_dw/infra/", "olist_dw/cli/"):
        assert not any(n.startswith(absent) for n in names), absent
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert lambda_package.s3_key == f"lambda/order_generator-{lambda_package.sha256[:16]}.zip"


def test_package_is_reproducible(lambda_package, tmp_path):
    assert build(tmp_path).sha256 == lambda_package.sha256


def test_handler_imports_from_the_package(lambda_package, tmp_path):
    """As Lambda does: the zip extracted to a folder first on sys.path (compiled modules cannot load from a
    zip). boto3 stands in from this environment, as the runtime provides it."""
    task_root = tmp_path / "task"
    zipfile.ZipFile(lambda_package.path).extractall(task_root)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import handler, faker, pydantic_settings, olist_dw;"
        "assert callable(handler.handler);"
        "paths = [m.__file__ for m in (handler, faker, pydantic_settings, olist_dw)];"
        "assert all(p.startswith(sys.argv[1]) for p in paths), paths;"
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(task_root)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "OLIST_TARGET": "aws", "HOME": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_handler_refuses_to_run_off_aws(lambda_package, tmp_path):
    task_root = tmp_path / "task"
    zipfile.ZipFile(lambda_package.path).extractall(task_root)
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import handler; handler.handler({}, None)"
    result = subprocess.run(
        [sys.executable, "-c", probe, str(task_root)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "OLIST_TARGET": "local", "HOME": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode != 0 and "OLIST_TARGET=aws" in result.stderr


def test_missing_handler_is_a_clear_error(monkeypatch, tmp_path):
    from olist_dw.errors import UserFacingError
    from olist_dw.infra import lambda_package as module

    monkeypatch.setattr(module, "HANDLER_DIR", tmp_path / "nowhere")
    try:
        module.build(tmp_path / "out")
    except UserFacingError as err:
        assert "handler.py is missing" in str(err)
    else:
        raise AssertionError("expected a UserFacingError")
    assert not Path(tmp_path / "out" / "order_generator.zip").exists()


TICK_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
from decimal import Decimal

from moto import mock_aws

sys.path.append(sys.argv[2])  # the project root, after the package: for tests.sim.moto_tables only
from tests.sim.moto_tables import create_simulation_tables

with mock_aws():
    import handler
    from olist_dw.settings import get_settings
    from olist_dw.sim.core import InventoryItem, new_config

    create_simulation_tables("eu-west-1", stream="olist-orders")
    store, _ = handler._adapters(get_settings())
    items = [InventoryItem(f"{i:032x}", "artes", Decimal("10.00"), 50, i) for i in range(20)]
    store.reset(new_config(7, 60.0), items)
    (result,) = handler.handler({}, None)["ticks"]
    assert result["accepted"] > 0, result
    assert not {"airflow", "cosmos", "dbt", "duckdb"} & set(sys.modules), "the tick loaded orchestration code"
    loaded = sorted(
        m.__file__[len(sys.argv[1]) + 1 :] for name, m in sys.modules.items() if name.split(".")[0] == "olist_dw"
    )
    print("\\n".join(loaded))
"""


def test_package_holds_exactly_the_olist_dw_modules_a_real_tick_imports(lambda_package, tmp_path):
    """The handler, run on the extracted zip against moto, sells orders; the olist_dw files it loaded are all
    of the package's olist_dw modules (nothing missing, nothing carried along), and no Airflow, Cosmos,
    dbt or DuckDB module was loaded."""
    task_root = tmp_path / "task"
    zipfile.ZipFile(lambda_package.path).extractall(task_root)
    result = subprocess.run(
        [sys.executable, "-c", TICK_PROBE, str(task_root), str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "OLIST_TARGET": "aws",
            "OLIST_AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret (moto's fake credentials)
        },
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(result.stdout.split())
    packaged = {n for n in zipfile.ZipFile(lambda_package.path).namelist() if n.startswith("olist_dw/")}
    assert loaded == {n for n in packaged if n.endswith(".py")}
