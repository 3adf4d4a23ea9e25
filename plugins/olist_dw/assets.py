"""Airflow Assets shared by the DAGs: what the batch publishes and what the simulation lands.

URIs are fixed strings (or built from settings that are constant in one deployment), so every DAG file
that imports them agrees at parse time without touching the network or the disk.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetWatcher

from olist_dw.settings import Settings, get_settings

ASSET_GROUP = "olist"
GOLD_ASSET_NAME = "olist_gold"
BRONZE_SIM_ASSET_NAME = "olist_bronze_sim"


def gold_asset() -> Asset:
    """The published gold layer (and the marts published with it): emitted by olist_batch's publish."""
    return Asset(name=GOLD_ASSET_NAME, uri="olist://warehouse/gold", group=ASSET_GROUP)


def bronze_sim_uri(settings: Settings | None = None) -> str:
    """The lake's bronze-sim/ prefix: the S3 prefix on AWS, a logical URI for the local lake folder."""
    settings = settings or get_settings()
    if settings.target == "aws" and settings.s3_bucket:
        return f"s3://{settings.s3_bucket}/bronze-sim/"
    return "olist://lake/bronze-sim/"


def bronze_sim_asset(settings: Settings | None = None, watchers: list[AssetWatcher] | None = None) -> Asset:
    """Files of simulated orders landed under bronze-sim/ (on AWS a DAG may pass an SQS AssetWatcher)."""
    return Asset(name=BRONZE_SIM_ASSET_NAME, uri=bronze_sim_uri(settings), group=ASSET_GROUP, watchers=watchers)


GOLD_ASSET = gold_asset()
BRONZE_SIM_ASSET = bronze_sim_asset()
