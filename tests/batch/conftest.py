"""Fixtures of the batch tests: a small generated dataset (made once per session, copied per test)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from olist_dw.settings import Settings, get_settings

SMALL_SCALE = 0.01


@pytest.fixture(scope="session")
def generated_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from olist_dw.generator import generate

    out = tmp_path_factory.mktemp("generated") / "source"
    generate(out, scale=SMALL_SCALE, seed=11, quiet=True)
    return out


@pytest.fixture
def source_dir(generated_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, olist_home: Path) -> Path:
    """A private copy of the dataset that a test may damage; OLIST_SOURCE_DIR points at it."""
    target = tmp_path / "source"
    shutil.copytree(generated_dataset, target)
    monkeypatch.setenv("OLIST_SOURCE_DIR", str(target))
    return target


@pytest.fixture
def settings(source_dir: Path) -> Settings:
    return get_settings()
