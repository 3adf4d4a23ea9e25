"""Fixtures of the real-time tests: a small products file, a simulation home, dbt runs kept out of the tree."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from olist_dw.sim.core import event_schema as load_event_schema

CATEGORIES = ["perfumaria", "artes", "esporte_lazer", "bebes", "utilidades_domesticas", None]


def write_products(folder: Path, count: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "olist_products_dataset.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "product_id",
                "product_category_name",
                "product_name_lenght",
                "product_description_lenght",
                "product_photos_qty",
                "product_weight_g",
                "product_length_cm",
                "product_height_cm",
                "product_width_cm",
            ]
        )
        for _ in range(count):
            category = rng.choice(CATEGORIES)
            writer.writerow([f"{rng.getrandbits(128):032x}", category or "", 40, 200, 1, 500, 20, 10, 15])
    return path


@pytest.fixture
def sim_home(olist_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """OLIST_HOME with a 400-product source folder and dbt writing its target/ and logs into tmp."""
    source = tmp_path / "source"
    write_products(source, 400)
    olist_home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(source))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt-target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt-logs"))
    return olist_home


def tick_and_deliver(ticks: int) -> list:
    """A fresh simulation in OLIST_HOME: `ticks` ticks, then the stream drained to the lake; the files written."""
    from olist_dw.settings import get_settings
    from olist_dw.sim import reset, tick
    from olist_dw.targets import get_target

    settings = get_settings()
    target = get_target(settings)
    store, stream = target.state_store(), target.stream()
    reset(store, settings)
    for _ in range(ticks):
        tick(store, stream, settings)
    with target.delivery() as delivery:
        return delivery.drain()


@pytest.fixture(scope="session")
def event_schema() -> dict:
    return load_event_schema()


def _build_realtime() -> None:
    """dbt build of tag:realtime in-process, then close dbt-duckdb's handle so the test can open the file."""
    from olist_dw.dbt_runner import release_in_process_dbt_duckdb, run_dbt
    from olist_dw.settings import get_settings
    from olist_dw.targets import get_target

    try:
        run_dbt(["build", "--select", "tag:realtime", "--quiet"], get_target(get_settings()))
    finally:
        release_in_process_dbt_duckdb()


def _query(sql: str):
    import duckdb

    from olist_dw.settings import get_settings

    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def build_realtime():
    return _build_realtime


@pytest.fixture
def query():
    return _query
