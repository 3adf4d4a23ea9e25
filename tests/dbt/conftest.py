"""Fixtures of the dbt tests: a warehouse whose `raw` schema holds a small Olist-shaped dataset,
built once per session with `dbt build --select tag:batch`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from raw_fixture import load_raw, write_dataset

SMALL_ORDERS = 300


@dataclass(frozen=True)
class BuiltWarehouse:
    home: Path
    source_dir: Path
    warehouse_path: Path
    target_path: Path

    def run_results(self) -> list[dict]:
        return json.loads((self.target_path / "run_results.json").read_text())["results"]


def dbt_paths(base: Path) -> list[str]:
    """Keep each run's artifacts out of include/dbt/target (the manifest Cosmos reads lives there)."""
    return ["--target-path", str(base / "target"), "--log-path", str(base / "logs")]


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    from olist_dw.dbt_runner import run_dbt
    from olist_dw.settings import Settings

    home = tmp_path_factory.mktemp("dbt-home")
    saved_env = dict(os.environ)  # run_dbt exports the profile's variables: restore them afterwards
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OLIST_HOME", str(home))
        mp.setenv("OLIST_TARGET", "local")
        settings = Settings()
        source_dir = write_dataset(home / "source", SMALL_ORDERS)
        load_raw(settings.warehouse_path, source_dir)
        try:
            run_dbt(["build", "--select", "tag:batch", *dbt_paths(home)], settings)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
    return BuiltWarehouse(home, source_dir, settings.warehouse_path, home / "target")
