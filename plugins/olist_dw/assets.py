"""Airflow Assets shared by the DAGs: what the batch publishes and what the simulation lands.

Names are fixed strings, so every DAG file that imports them agrees at parse time without touching the
network or the disk. Locally the assets are named only (their URI is the name): an Asset URI with a
scheme makes Airflow load every provider's URI handlers at parse time (~0.5 s per DAG file, measured),
which would eat the whole parse budget. A target that watches a bucket passes its URI and watcher.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetWatcher

ASSET_GROUP = "olist"
GOLD_ASSET_NAME = "olist_gold"
BRONZE_SIM_ASSET_NAME = "olist_bronze_sim"


def gold_asset() -> Asset:
    """The published gold layer (and the marts published with it): emitted by olist_batch's publish."""
    return Asset(name=GOLD_ASSET_NAME, group=ASSET_GROUP)


def bronze_sim_asset(uri: str | None = None, watchers: list[AssetWatcher] | None = None) -> Asset:
    """Files of simulated orders landed under bronze-sim/ (`uri` and `watchers`: see the targets)."""
    if uri is None:
        return Asset(name=BRONZE_SIM_ASSET_NAME, group=ASSET_GROUP, watchers=watchers or [])
    return Asset(name=BRONZE_SIM_ASSET_NAME, uri=uri, group=ASSET_GROUP, watchers=watchers or [])


GOLD_ASSET = gold_asset()
BRONZE_SIM_ASSET = bronze_sim_asset()
