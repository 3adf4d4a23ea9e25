"""Helpers of the dbt tests (a module of its own: test files must not import `conftest`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


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
