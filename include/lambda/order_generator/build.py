"""Build the order-generator Lambda package: handler.py, the olist_dw simulation core and its requirements.

    python include/lambda/order_generator/build.py [--out dist/order_generator.zip]

Dependencies are installed for the Lambda runtime (manylinux x86_64, Python 3.11) with pip's
--platform/--only-binary options, pinned by the project's constraints.txt. Upload the zip where the
CloudFormation stack expects it (see infra/).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parents[2]
PACKAGE = PROJECT_ROOT / "plugins" / "olist_dw"
# Only what the core needs: no Airflow, dbt or DuckDB in the Lambda.
CORE_FILES = ["__init__.py", "errors.py", "settings.py"]
CORE_DIRS = ["sim"]
# Local-only modules of the sim package (Airflow, pyarrow, DuckDB): never imported by the handler.
NOT_IN_LAMBDA = ("__pycache__", "delivery.py", "demo.py", "tasks.py", "watch.py")


def build(out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--target", str(staging),
                "--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--only-binary=:all:",
                "--implementation", "cp", "-r", str(HERE / "requirements.txt"),
                "-c", str(PROJECT_ROOT / "constraints.txt"),
            ],
            check=True,
        )  # fmt: skip
        shutil.copy(HERE / "handler.py", staging / "handler.py")
        (staging / "olist_dw").mkdir()
        for name in CORE_FILES:
            shutil.copy(PACKAGE / name, staging / "olist_dw" / name)
        for name in CORE_DIRS:
            shutil.copytree(PACKAGE / name, staging / "olist_dw" / name, ignore=shutil.ignore_patterns(*NOT_IN_LAMBDA))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(staging.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, path.relative_to(staging))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "dist" / "order_generator.zip")
    args = parser.parse_args()
    print(f"Lambda package: {build(args.out)}")


if __name__ == "__main__":
    main()
