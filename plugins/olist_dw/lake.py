"""The data lake behind one small interface: a local folder (embedded default) or an S3 bucket (AWS).

Keys are '/'-separated paths under the lake root, the same on both: `bronze/<table>/<file>`,
`bronze-parquet/<table>/part-0.parquet`, `quarantine/<table>/...`, `bronze-sim/dt=.../hour=.../...`.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from pathlib import Path

BRONZE = "bronze"
BRONZE_PARQUET = "bronze-parquet"
BRONZE_SIM = "bronze-sim"
QUARANTINE = "quarantine"


class Lake(ABC):
    """What the pipeline needs from the lake: put, read, list and clear objects by key."""

    @abstractmethod
    def uri(self, key: str) -> str:
        """Where a key lives, for messages and for engines that read URIs."""

    @abstractmethod
    def put_file(self, local_path: Path, key: str) -> None: ...

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Keys under `prefix` (a folder-like prefix ending in '/'), sorted."""

    @abstractmethod
    def has_keys(self, prefix: str) -> bool:
        """Whether any object is under `prefix` (without listing them all)."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Remove every object under `prefix` (idempotent re-runs start from an empty prefix)."""


class LocalLake(Lake):
    """The lake as a folder (OLIST_HOME/lake): the embedded default."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key

    def uri(self, key: str) -> str:
        return str(self.path(key))

    def put_file(self, local_path: Path, key: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(local_path, tmp)
        tmp.replace(target)  # a reader never sees half a file

    def write_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def list_keys(self, prefix: str) -> list[str]:
        base = self.path(prefix)
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file() and not p.name.startswith(".")
        )

    def has_keys(self, prefix: str) -> bool:
        base = self.path(prefix)
        return base.is_dir() and any(p.is_file() and not p.name.startswith(".") for p in base.rglob("*"))

    def delete_prefix(self, prefix: str) -> None:
        target = self.path(prefix)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


class S3Lake(Lake):
    """The lake as an S3 bucket, through the Amazon provider's S3Hook (the task's AWS connection)."""

    def __init__(self, bucket: str, aws_conn_id: str = "aws_default"):
        if not bucket:
            from olist_dw.errors import UserFacingError

            raise UserFacingError("OLIST_S3_BUCKET is empty: set it to the lake bucket of the infra stack")
        self.bucket = bucket
        self.aws_conn_id = aws_conn_id

    @property
    def hook(self):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        return S3Hook(aws_conn_id=self.aws_conn_id)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def put_file(self, local_path: Path, key: str) -> None:
        self.hook.load_file(str(local_path), key=key, bucket_name=self.bucket, replace=True)

    def write_bytes(self, key: str, data: bytes) -> None:
        self.hook.load_bytes(data, key=key, bucket_name=self.bucket, replace=True)

    def read_bytes(self, key: str) -> bytes:
        return self.hook.get_conn().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(self.hook.list_keys(bucket_name=self.bucket, prefix=prefix) or [])

    def has_keys(self, prefix: str) -> bool:
        return bool(self.hook.list_keys(bucket_name=self.bucket, prefix=prefix, max_items=1))

    def delete_prefix(self, prefix: str) -> None:
        keys = self.list_keys(prefix)
        if keys:
            self.hook.delete_objects(bucket=self.bucket, keys=keys)
