"""land: copy the nine source files, as they are, into the lake's bronze/<table>/ prefix.

A source may be `name.csv` or `name.csv.gz` (the real Kaggle files are often kept gzipped). Each run
clears bronze/<table>/ first, so a re-run never keeps a stale file beside the new one.
Locally the copy is a file copy from OLIST_SOURCE_DIR. On AWS the worker's disk is nobody's to fill (a managed
Airflow syncs only dags/ and plugins/, and tasks may run on different workers), so the files wait in an S3
inbox (OLIST_S3_INBOX, default s3://<lake>/inbox/; `olist-dw infra upload-source` or `aws s3 cp` puts them
there) and land copies them server-side (CopyObject: no byte passes through the worker).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from olist_dw.batch.validate import FileRejectedError
from olist_dw.contract import SOURCES, SourceFile
from olist_dw.errors import UserFacingError
from olist_dw.lake import BRONZE, Lake

if TYPE_CHECKING:
    from olist_dw.lake import S3Lake
    from olist_dw.settings import Settings

INBOX_PREFIX = "inbox/"  # in the lake bucket, when OLIST_S3_INBOX is unset


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


# --- AWS: the S3 inbox ------------------------------------------------------------------------------------


def inbox_location(settings: Settings) -> tuple[str, str]:
    """(bucket, prefix) of the inbox: OLIST_S3_INBOX, else s3://<OLIST_S3_BUCKET>/inbox/."""
    if settings.s3_inbox:
        bucket, _, prefix = settings.s3_inbox.removeprefix("s3://").partition("/")
        return bucket, prefix
    if not settings.s3_bucket:
        raise UserFacingError(
            "OLIST_S3_BUCKET and OLIST_S3_INBOX are empty: set OLIST_S3_BUCKET to the lake bucket of the infra "
            "stack (the inbox is then s3://<bucket>/inbox/), or OLIST_S3_INBOX to s3://bucket/prefix/"
        )
    return settings.s3_bucket, INBOX_PREFIX


def inbox_keys(keys: Iterable[str], bucket: str, prefix: str, sources: tuple[SourceFile, ...] = SOURCES) -> list[str]:
    """The inbox key of every source among `keys` (`.csv` preferred over `.csv.gz`); any missing -> one error
    naming each missing file, before anything is copied."""
    present = set(keys)
    found = [
        next((prefix + n for n in (s.file_name, s.file_name + ".gz") if prefix + n in present), None) for s in sources
    ]
    missing = [source.file_name for source, key in zip(sources, found, strict=True) if key is None]
    if missing:
        inbox = f"s3://{bucket}/{prefix}"
        others = f"; {len(missing) - 1} more missing: {', '.join(missing[1:])}" if len(missing) > 1 else ""
        raise FileRejectedError(
            inbox + missing[0],
            None,
            "missing file",
            f"expected {missing[0]} or {missing[0]}.gz in {inbox}{others}; upload the nine files there with "
            "`olist-dw infra upload-source --from DIR` (or `aws s3 cp`), or point OLIST_S3_INBOX at their prefix",
        )
    return [key for key in found if key is not None]


def land_from_inbox(
    lake: S3Lake, inbox_bucket: str, inbox_prefix: str, sources: tuple[SourceFile, ...] = SOURCES
) -> list[str]:
    """Copy every source file from the inbox into bronze/<table>/ with S3 CopyObject (all nine present first:
    a missing file lands nothing). Idempotent: a re-run copies the same objects again, and whatever else is
    under bronze/<table>/ (an earlier `.csv.gz`, say) is deleted once the new copy is there."""
    hook = lake.hook
    listed = hook.list_keys(bucket_name=inbox_bucket, prefix=inbox_prefix, delimiter="/") or []
    found = inbox_keys(listed, inbox_bucket, inbox_prefix, sources)
    landed = []
    for source, key in zip(sources, found, strict=True):
        dest = f"{BRONZE}/{source.table}/{key.rsplit('/', 1)[-1]}"
        hook.copy_object(key, dest, source_bucket_name=inbox_bucket, dest_bucket_name=lake.bucket)
        stale = [k for k in lake.list_keys(f"{BRONZE}/{source.table}/") if k != dest]
        if stale:
            hook.delete_objects(bucket=lake.bucket, keys=stale)
        print(f"landed s3://{inbox_bucket}/{key} -> {lake.uri(dest)}")
        landed.append(dest)
    return landed


def upload_to_inbox(
    s3_client: Any, source_dir: Path, bucket: str, prefix: str, sources: tuple[SourceFile, ...] = SOURCES
) -> list[str]:
    """Upload the nine files of `source_dir` into the inbox (all present first: a missing one uploads
    nothing). The other variant of each name (`.csv` vs `.csv.gz`) is deleted, so land cannot pick a stale
    file beside the new one."""
    uploaded = []
    for source, path in zip(sources, find_source_files(source_dir, sources), strict=True):
        key = prefix + path.name
        s3_client.upload_file(str(path), bucket, key)
        other = prefix + (source.file_name if path.name.endswith(".gz") else source.file_name + ".gz")
        s3_client.delete_object(Bucket=bucket, Key=other)
        uploaded.append(key)
    return uploaded
