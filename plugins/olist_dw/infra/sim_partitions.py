"""Registering the dt/hour partitions of the sim_orders Glue table as Firehose's files land.

Redshift Spectrum reads only the partitions in the Glue catalog (Glue partition projection is Athena's alone),
so before dbt reads the lake, the realtime run registers the partitions of the S3 keys its events name:

    register_sim_partitions(glue_client, database, "sim_orders", keys)

Keys are Firehose's `bronze-sim/dt=YYYY-MM-DD/hour=HH/<file>`; other keys are ignored. Registering is
idempotent: a partition that exists already is left as it is. The partition's storage descriptor is the
table's, with the partition's own folder as location (what a crawler or `ALTER TABLE ADD PARTITION` writes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from olist_dw.errors import UserFacingError

SIM_PREFIX = "bronze-sim/"
_PARTITION_KEY = re.compile(r"^bronze-sim/dt=(\d{4}-\d{2}-\d{2})/hour=([01]\d|2[0-3])/[^/]+$")
BATCH_LIMIT = 100  # BatchCreatePartition takes at most 100 partitions a call


def partitions_of_keys(keys: Iterable[str]) -> list[tuple[str, str]]:
    """The distinct (dt, hour) of Firehose's keys, sorted; keys outside bronze-sim/dt=.../hour=.../ are skipped."""
    found = {(m[1], m[2]) for m in (_PARTITION_KEY.match(key) for key in keys) if m}
    return sorted(found)


def partition_input(table: dict[str, Any], dt: str, hour: str) -> dict[str, Any]:
    """PartitionInput for one folder: the table's storage descriptor, located at its dt=/hour= folder."""
    descriptor = dict(table["StorageDescriptor"])
    descriptor["Location"] = f"{descriptor['Location'].rstrip('/')}/dt={dt}/hour={hour}/"
    return {"Values": [dt, hour], "StorageDescriptor": descriptor}


def register_sim_partitions(glue, database: str, table_name: str, keys: Iterable[str]) -> list[tuple[str, str]]:
    """Register the partitions of the keys (existing ones untouched); returns the (dt, hour) registered now."""
    wanted = partitions_of_keys(keys)
    if not wanted:
        return []
    table = glue.get_table(DatabaseName=database, Name=table_name)["Table"]
    partition_keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    if partition_keys != ["dt", "hour"]:
        raise UserFacingError(
            f"Glue table {database}.{table_name} has partition keys {partition_keys}, not [dt, hour]: "
            "deploy the current infra/olist.yaml (olist-dw infra deploy)"
        )
    registered = []
    for start in range(0, len(wanted), BATCH_LIMIT):
        batch = wanted[start : start + BATCH_LIMIT]
        response = glue.batch_create_partition(
            DatabaseName=database,
            TableName=table_name,
            PartitionInputList=[partition_input(table, dt, hour) for dt, hour in batch],
        )
        existing, failed = set(), []
        for error in response.get("Errors", []):
            values, detail = tuple(error.get("PartitionValues", [])), error.get("ErrorDetail", {})
            if detail.get("ErrorCode") == "AlreadyExistsException":
                existing.add(values)
            else:
                failed.append(f"dt={'/hour='.join(values)}: {detail.get('ErrorCode')} {detail.get('ErrorMessage', '')}")
        if failed:
            raise UserFacingError(
                f"registering partitions of Glue table {database}.{table_name} failed: {'; '.join(failed)}"
            )
        registered += [p for p in batch if p not in existing]
    return registered
