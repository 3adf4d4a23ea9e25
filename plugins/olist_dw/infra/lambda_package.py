"""Build the order generator's Lambda package: the handler, the olist_dw package and its Python dependencies.

Dependencies are installed for Lambda's platform (manylinux x86_64, CPython 3.11: the function's runtime)
with the versions pinned in constraints.txt, from wheels only. boto3 is left out: the runtime has it.
The zip is reproducible (sorted entries, fixed timestamps), so its content hash names it in the artifacts
bucket and a deploy without code changes changes nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from olist_dw.errors import UserFacingError
from olist_dw.settings import PROJECT_ROOT

HANDLER_DIR = PROJECT_ROOT / "include" / "lambda" / "order_generator"
PACKAGE_DIR = PROJECT_ROOT / "plugins" / "olist_dw"
CONSTRAINTS = PROJECT_ROOT / "constraints.txt"
# What the handler needs beyond the standard library and boto3, unless the handler folder lists its own
# in requirements.txt. Versions come from constraints.txt.
DEFAULT_REQUIREMENTS = ("faker", "pydantic-settings")
LAMBDA_PYTHON = "3.11"
LAMBDA_PLATFORM = "x86_64-manylinux2014"  # uv's name; pip's is manylinux2014_x86_64
# The olist_dw files the handler imports (settings, the AWS target's simulation adapters, the simulation
# core): no Airflow, dbt or DuckDB code in the Lambda. tests/infra checks that a real tick loads exactly these.
PACKAGE_PARTS = (
    "__init__.py",
    "contract.py",
    "olist_sources.json",
    "errors.py",
    "settings.py",
    "targets/__init__.py",
    "targets/base.py",
    "targets/aws.py",
    "sim/__init__.py",
    "sim/core.py",
    "sim/dynamodb_store.py",
    "sim/kinesis.py",
    "sim/order_event.schema.json",
)
HANDLER_EXTRAS = {"requirements.txt", "tests"}  # in the handler folder, not for the runtime
EXCLUDED_NAMES = {"__pycache__", "bin", ".DS_Store", ".lock"}  # .lock: uv's marker in --target
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class LambdaPackage:
    path: Path
    sha256: str

    @property
    def s3_key(self) -> str:
        return f"lambda/order_generator-{self.sha256[:16]}.zip"


def requirements() -> list[str]:
    """Requirement names of the Lambda (handler folder's requirements.txt if present)."""
    listed = HANDLER_DIR / "requirements.txt"
    if listed.is_file():
        names = []
        for line in listed.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
        return names
    return list(DEFAULT_REQUIREMENTS)


def _install_dependencies(target: Path, reqs: list[str]) -> None:
    reqs = [r for r in reqs if r.split("=")[0].split("<")[0].split(">")[0].strip().lower() not in RUNTIME_PROVIDED]
    if not reqs:
        return
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    constraint_args = ["-c", str(CONSTRAINTS)] if CONSTRAINTS.is_file() else []
    if uv:
        command = [
            uv, "pip", "install", "--quiet", "--target", str(target),
            "--python-platform", LAMBDA_PLATFORM, "--python-version", LAMBDA_PYTHON,
            "--only-binary", ":all:", *constraint_args, *reqs,
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(target),
            "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", LAMBDA_PYTHON,
            "--only-binary=:all:", *constraint_args, *reqs,
        ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise UserFacingError(
            f"Lambda package: installing {' '.join(reqs)} for {LAMBDA_PLATFORM} / Python {LAMBDA_PYTHON} failed:\n"
            f"{result.stderr.strip()[-2000:]}"
        )


def _package_files(
    root: Path, arc_prefix: str, skip_top: set[str] | None = None, only: tuple[str, ...] | None = None
) -> list[tuple[Path, str]]:
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in EXCLUDED_NAMES for part in relative.parts):
            continue
        if (skip_top and relative.parts[0] in skip_top) or (only and relative.as_posix() not in only):
            continue
        if path.suffix in {".pyc", ".pyo"} or not path.is_file():
            continue
        files.append((path, f"{arc_prefix}{relative.as_posix()}"))
    return files


def build(out_dir: Path) -> LambdaPackage:
    """Build the zip into out_dir; returns its path and content hash."""
    handler = HANDLER_DIR / "handler.py"
    if not handler.is_file():
        raise UserFacingError(f"Lambda package: {handler} is missing (the order generator's handler)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="olist-lambda-") as tmp:
        deps = Path(tmp) / "deps"
        deps.mkdir()
        _install_dependencies(deps, requirements())
        entries = [
            *_package_files(HANDLER_DIR, "", skip_top=HANDLER_EXTRAS),
            *_package_files(PACKAGE_DIR, "olist_dw/", only=PACKAGE_PARTS),
            *_package_files(deps, ""),
        ]
        seen: set[str] = set()
        zip_path = out_dir / "order_generator.zip"
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for source, arcname in sorted(entries, key=lambda entry: entry[1]):
                if arcname in seen:
                    raise UserFacingError(f"Lambda package: {arcname} would be added twice (name clash)")
                seen.add(arcname)
                info = zipfile.ZipInfo(arcname, date_time=_FIXED_DATE)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, source.read_bytes())
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    return LambdaPackage(zip_path, digest)
