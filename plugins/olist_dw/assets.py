"""Airflow Assets shared by the DAGs: what the batch publishes and what the simulation lands.

URIs are fixed strings (or built from settings that are constant in one deployment), so every DAG file
that imports them agrees at parse time without touching the network or the disk. Locally the assets are
named only (their URI is the name): an Asset URI with a scheme makes Airflow load every provider's URI
handlers at parse time (~0.5 s per DAG file, measured), which would eat the whole parse budget.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetWatcher

from olist_dw.settings import Settings, get_settings

ASSET_GROUP = "olist"
GOLD_ASSET_NAME = "olist_gold"
BRONZE_SIM_ASSET_NAME = "olist_bronze_sim"


def gold_asset() -> Asset:
    """The published gold layer (and the marts published with it): emitted by olist_batch's publish."""
    return Asset(name=GOLD_ASSET_NAME, group=ASSET_GROUP)


def bronze_sim_uri(settings: Settings | None = None) -> str | None:
    """The lake's bronze-sim/ prefix on AWS (an S3 URI); locally None: the asset is known by its name."""
    settings = settings or get_settings()
    if settings.target == "aws" and settings.s3_bucket:
        return f"s3://{settings.s3_bucket}/bronze-sim/"
    return None


def bronze_sim_asset(settings: Settings | None = None, watchers: list[AssetWatcher] | None = None) -> Asset:
    """Files of simulated orders landed under bronze-sim/ (on AWS a DAG may pass an SQS AssetWatcher)."""
    return Asset(name=BRONZE_SIM_ASSET_NAME, uri=bronze_sim_uri(settings), group=ASSET_GROUP, watchers=watchers)


GOLD_ASSET = gold_asset()
BRONZE_SIM_ASSET = bronze_sim_asset()
