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


def source_file_path(source_dir: Path, source: SourceFile) -> Path | None:
    """The file of `source` in `source_dir`: `.csv` preferred over `.csv.gz`; None when neither is there."""
    for name in (source.file_name, source.file_name + ".gz"):
        path = source_dir / name
        if path.is_file():
            return path
    return None


def find_source_files(source_dir: Path, sources: tuple[SourceFile, ...] = SOURCES) -> list[Path]:
    """The file of every source, in order; any missing -> one error naming each missing file."""
    found = [source_file_path(source_dir, source) for source in sources]
    missing = [source.file_name for source, path in zip(sources, found, strict=True) if path is None]
    if missing:
        others = f"; {len(missing) - 1} more missing: {', '.join(missing[1:])}" if len(missing) > 1 else ""
        raise FileRejectedError(
            str(source_dir / missing[0]),
            None,
            "missing file",
            f"expected {missing[0]} or {missing[0]}.gz in {source_dir}{others}; "
            "point OLIST_SOURCE_DIR at the folder of the Olist files, or leave it unset to generate them",
        )
    return [path for path in found if path is not None]


def find_source_file(source_dir: Path, source: SourceFile) -> Path:
    """The file of `source` in `source_dir`: `.csv` preferred over `.csv.gz`; missing -> named error."""
    return find_source_files(source_dir, (source,))[0]


def bronze_key(source: SourceFile, path: Path) -> str:
    return f"{BRONZE}/{source.table}/{path.name}"


def files_to_land(source_dir: Path, sources: tuple[SourceFile, ...] = SOURCES) -> list[dict[str, str]]:
    """One {filename, dest_key} per source file: the mapped upload's arguments on AWS."""
    paths = find_source_files(source_dir, sources)
    return [
        {"filename": str(path), "dest_key": bronze_key(source, path)}
        for source, path in zip(sources, paths, strict=True)
    ]


def land_all(lake: Lake, source_dir: Path, sources: tuple[SourceFile, ...] = SOURCES) -> list[str]:
    """Copy every source file into bronze/ (all present first: a missing file lands nothing)."""
    found = zip(sources, find_source_files(source_dir, sources), strict=True)
    keys = []
    for source, path in found:
        lake.delete_prefix(f"{BRONZE}/{source.table}/")
        key = bronze_key(source, path)
        lake.put_file(path, key)
        keys.append(key)
    return keys
