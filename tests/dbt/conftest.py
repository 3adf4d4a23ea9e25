"""Fixtures of the dbt tests: a warehouse whose `raw` schema holds a small Olist-shaped dataset,
built once per session with `dbt build --select tag:batch`."""

from __future__ import annotations

import os

import pytest

from tests.dbt.dbt_helpers import BuiltWarehouse, dbt_paths
from tests.dbt.raw_fixture import load_raw, write_dataset

SMALL_ORDERS = 300


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    from olist_dw.dbt_runner import run_dbt
    from olist_dw.settings import Settings
    from olist_dw.targets import get_target

    home = tmp_path_factory.mktemp("dbt-home")
    saved_env = dict(os.environ)  # run_dbt exports the profile's variables: restore them afterwards
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OLIST_HOME", str(home))
        mp.setenv("OLIST_TARGET", "local")
        settings = Settings()
        source_dir = write_dataset(home / "source", SMALL_ORDERS)
        load_raw(settings.warehouse_path, source_dir)
        try:
            run_dbt(["build", "--select", "tag:batch", *dbt_paths(home)], get_target(settings))
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
    return BuiltWarehouse(home, source_dir, settings.warehouse_path, home / "target")
