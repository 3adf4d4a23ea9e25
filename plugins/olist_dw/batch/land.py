"""land: copy the nine source files, as they are, into the lake's bronze/<table>/ prefix.

A source may be `name.csv` or `name.csv.gz` (the real Kaggle files are often kept gzipped). Each run
clears bronze/<table>/ first, so a re-run never keeps a stale file beside the new one.
Locally the copy is a file copy; on AWS the DAG maps the provider's LocalFilesystemToS3Operator over
`files_to_land()`.
"""

from __future__ import annotations

from pathlib import Path

from olist_dw.batch.validate import FileRejectedError
from olist_dw.contract import SOURCES, SourceFile
from olist_dw.lake import BRONZE, Lake


def find_source_file(source_dir: Path, source: SourceFile) -> Path:
    """The file of `source` in `source_dir`: `.csv` preferred over `.csv.gz`; missing -> named error."""
    for name in (source.file_name, source.file_name + ".gz"):
        path = source_dir / name
        if path.is_file():
            return path
    raise FileRejectedError(
        str(source_dir / source.file_name),
        None,
        "missing file",
        f"expected {source.file_name} or {source.file_name}.gz in {source_dir} "
        "(set OLIST_SOURCE_DIR or run `olist-dw generate`)",
    )


def bronze_key(source: SourceFile, path: Path) -> str:
    return f"{BRONZE}/{source.table}/{path.name}"


def files_to_land(source_dir: Path, sources: tuple[SourceFile, ...] = SOURCES) -> list[dict[str, str]]:
    """One {filename, dest_key} per source file: the mapped upload's arguments on AWS."""
    files = []
    for source in sources:
        path = find_source_file(source_dir, source)
        files.append({"filename": str(path), "dest_key": bronze_key(source, path)})
    return files


def land_all(lake: Lake, source_dir: Path, sources: tuple[SourceFile, ...] = SOURCES) -> list[str]:
    """Copy every source file into bronze/ (all present first: a missing file lands nothing)."""
    found = [(source, find_source_file(source_dir, source)) for source in sources]
    keys = []
    for source, path in found:
        lake.delete_prefix(f"{BRONZE}/{source.table}/")
        key = bronze_key(source, path)
        lake.put_file(path, key)
        keys.append(key)
    return keys
