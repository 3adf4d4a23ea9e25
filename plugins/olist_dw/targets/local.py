"""The embedded default: a folder lake, SQLite state, an embedded stream log, DuckDB, Airflow schedules.

Everything runs on one machine with no account. DuckDB takes one writing process at a time, so every
warehouse writer (load, the dbt build, publish) queues in the one-slot `olist_warehouse` pool.
"""

from __future__ import annotations

from typing import Any

from olist_dw.settings import DBT_PROJECT_DIR
from olist_dw.targets.base import DBT_PROFILE_NAME, Target

WAREHOUSE_POOL = "olist_warehouse"
REALTIME_SCHEMA = "realtime"
# Append-only realtime tables and the column that orders their loads: published as new rows only.
REALTIME_APPENDED_TABLES = {"realtime.fct_items_sold": "_loaded_at"}


class LocalTarget(Target):
    name = "local"
    dbt_target_name = "local"
    simulation_in_airflow = True
    seeds_simulation_on_first_tick = True
    warehouse_pool = WAREHOUSE_POOL
    # The sim source reads the lake in place: freshness needs no warehouse file, so no writer's lock or pool.
    freshness_dbt_target = "local_lake"

    def lake(self):
        from olist_dw.lake import LocalLake

        return LocalLake(self.settings.lake_dir)

    def state_store(self):
        from olist_dw.sim import state_path
        from olist_dw.sim.sqlite_store import SQLiteStateStore

        return SQLiteStateStore(state_path(self.settings))

    def stream(self):
        from olist_dw.sim import log_path
        from olist_dw.sim.local_log import LocalLog

        return LocalLog(log_path(self.settings))

    def delivery(self):
        from olist_dw.sim import DELIVERY_LOCK_FILE
        from olist_dw.sim.delivery import LocalDelivery

        settings = self.settings
        return LocalDelivery(
            self.stream(),
            settings.lake_dir,
            settings.delivery_buffer_bytes,
            settings.delivery_buffer_seconds,
            lock_path=settings.sim_dir / DELIVERY_LOCK_FILE,
        )

    def batch_stages(self) -> dict[str, Any]:
        from olist_dw.assets import GOLD_ASSET
        from olist_dw.batch import stages

        return {
            "land": stages.land(),
            "validate": stages.validate(write_parquet=True),
            "convert": stages.convert(),
            "load": stages.load_into_duckdb.override(pool=WAREHOUSE_POOL)(),
            "publish": stages.publish_duckdb_snapshot.override(pool=WAREHOUSE_POOL, outlets=[GOLD_ASSET])(),
        }

    def dbt_profile_config(self):
        """dbt-duckdb from the project's profiles.yml, target `local` (file from OLIST_WAREHOUSE_PATH)."""
        from cosmos import ProfileConfig

        return ProfileConfig(
            profile_name=DBT_PROFILE_NAME,
            target_name=self.dbt_target_name,
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        )

    def dbt_env(self) -> dict[str, str]:
        # The dbt-duckdb profile's memory_limit (profiles.yml): bounded memory at SF10, spilling to disk past it.
        return {**super().dbt_env(), "OLIST_DUCKDB_MEMORY_LIMIT": self.settings.duckdb_memory_limit}

    def realtime_trigger_asset(self):
        """No queue locally: the delivery DAG lists the asset in its outlets, so each file emits an event."""
        from olist_dw.assets import bronze_sim_asset

        return bronze_sim_asset()

    def publish_realtime(self) -> dict[str, int]:
        """Publish the realtime schema as its own set, serving/analytics.realtime.duckdb (marts and gold are
        not read): gold_sim is copied whole (days x states, small), fct_items_sold's new rows since the last
        publish are added as one Parquet part (it is append-only, ordered by _loaded_at)."""
        from olist_dw.warehouse import publish

        return publish(
            self.settings.warehouse_path,
            self.settings.serving_path,
            [REALTIME_SCHEMA],
            schema_set=REALTIME_SCHEMA,
            appended=REALTIME_APPENDED_TABLES,
        )
