"""The partial-parse state `olist-dw dbt-manifest` leaves beside the manifest is one Cosmos's builds can use: dbt keys
it on the command's --profile and --target, so a state parsed without them made the first build of a home parse the
whole project again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from olist_dw.settings import DBT_PROJECT_DIR, PROJECT_ROOT


def _copy_project(to: Path) -> Path:
    shutil.copytree(DBT_PROJECT_DIR, to, ignore=shutil.ignore_patterns("target", "logs", ".user.yml"))
    return to


def _events_of(args: list[str]) -> list[str]:
    from dbt.cli.main import dbtRunner

    names: list[str] = []
    result = dbtRunner(callbacks=[lambda event: names.append(event.info.name)]).invoke(args)
    assert result.success, result.exception
    return names


@pytest.fixture
def realtime_dbt_task(olist_home: Path):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(PROJECT_ROOT / "dags" / "olist_realtime.py"))
    assert bag.import_errors == {}
    return bag.dags["olist_realtime"].get_task("dbt_build_realtime")


def test_a_cosmos_build_accepts_the_partial_parse_state_of_the_manifest_build(
    realtime_dbt_task, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from olist_dw.dbt_runner import manifest_parse_args
    from olist_dw.settings import get_settings
    from olist_dw.targets import get_target

    target = get_target(get_settings())
    for name, value in target.dbt_env().items():
        monkeypatch.setenv(name, value)
    parsed = _copy_project(tmp_path / "manifest-build")
    _events_of([*manifest_parse_args(target), "--project-dir", str(parsed), "--profiles-dir", str(DBT_PROJECT_DIR)])

    # What Cosmos does in a task: a copy of the project, the latest state in its target/, its own dbt flags.
    build = _copy_project(tmp_path / "cosmos-build")
    (build / "target").mkdir()
    shutil.copy(parsed / "target" / "partial_parse.msgpack", build / "target")
    flags = realtime_dbt_task._generate_dbt_flags(str(build), DBT_PROJECT_DIR / "profiles.yml")
    assert "--target" in flags  # Cosmos's flags, not the manifest build's: the test compares the two
    events = _events_of(["parse", *flags])

    assert "UnableToPartialParse" not in events  # "config vars, config profile, or config target have changed"
    assert "PartialParsingEnabled" in events


def test_in_process_dbt_gets_the_profile_and_target_cosmos_passes_unless_the_command_names_them(olist_home):
    from olist_dw.dbt_runner import profile_args
    from olist_dw.settings import get_settings
    from olist_dw.targets import get_target

    target = get_target(get_settings())
    assert profile_args(target, ["build", "--select", "tag:batch"]) == ["--profile", "olist", "--target", "local"]
    assert profile_args(target, ["source", "freshness", "--target", "local_lake"]) == ["--profile", "olist"]
    assert profile_args(target, ["parse", "--target=aws", "--profile=olist"]) == []
    assert profile_args(target, ["parse", "--target-path", "elsewhere"]) == ["--profile", "olist", "--target", "local"]


@pytest.mark.parametrize("target_name", ["local", "aws"])
def test_in_process_profile_and_target_are_those_of_the_targets_cosmos_profile_config(
    olist_home, monkeypatch, target_name
):
    from olist_dw.dbt_runner import profile_args
    from olist_dw.settings import get_settings
    from olist_dw.targets import get_target

    monkeypatch.setenv("OLIST_TARGET", target_name)
    target = get_target(get_settings())
    profile = target.dbt_profile_config()
    assert profile_args(target) == ["--profile", profile.profile_name, "--target", profile.target_name]


def test_in_process_profile_args_import_neither_cosmos_nor_airflow(olist_home):
    # Cosmos imports Airflow (~2 s): an in-process build outside a task (the CLI, bench/batch.py) must not pay it.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from olist_dw.dbt_runner import profile_args\n"
        "from olist_dw.settings import get_settings\n"
        "from olist_dw.targets import get_target\n"
        "print(profile_args(get_target(get_settings())))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'cosmos', 'airflow'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.splitlines() == ["['--profile', 'olist', '--target', 'local']", "[]"]
