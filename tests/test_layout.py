"""The layout's one-way rules, checked on the source: who may read the target, what the simulator imports."""

from __future__ import annotations

import ast
from pathlib import Path

from olist_dw.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "plugins" / "olist_dw"
CODE_DIRS = [PACKAGE, PROJECT_ROOT / "dags", PROJECT_ROOT / "include"]


def _python_files() -> list[Path]:
    return sorted(p for d in CODE_DIRS for p in d.rglob("*.py") if "target" not in p.relative_to(d).parts[:1])


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_simulator_imports_no_orchestration_code():
    """sim/ is what the Lambda runs: no Airflow, Cosmos, dbt or warehouse module, even inside a function."""
    forbidden = ("airflow", "cosmos", "dbt", "olist_dw.warehouse", "olist_dw.cosmos_config", "olist_dw.airflow_local")
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / "sim").rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] in forbidden or name.startswith(forbidden)
    }
    assert not offenders


def test_only_the_targets_package_reads_the_target_setting():
    """`settings.target` (OLIST_TARGET) is read in olist_dw/targets/__init__.py and nowhere else."""
    readers = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not (isinstance(node, ast.Attribute) and node.attr == "target" and isinstance(node.value, ast.Name)):
                continue
            if node.value.id == "s" or node.value.id.endswith("settings"):
                readers.add(path.relative_to(PROJECT_ROOT).as_posix())
    assert readers == {"plugins/olist_dw/targets/__init__.py"}
