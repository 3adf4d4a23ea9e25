"""What a target provides: every adapter that differs between the embedded default and a cloud.

Nothing here imports Airflow, Cosmos or a cloud SDK at module level: the Lambda imports the AWS target, and
DAG files build their tasks from it at parse time (no I/O, no network).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from olist_dw.contract import BRAZIL_STATES
from olist_dw.settings import Settings

if TYPE_CHECKING:
    from airflow.sdk import Asset
    from cosmos import ProfileConfig

    from olist_dw.lake import Lake
    from olist_dw.sim.delivery import LocalDelivery


def accepted_event_schema_version() -> int:
    """schema_version's const in plugins/olist_dw/sim/order_event.schema.json."""
    import json

    from olist_dw.sim.core import SCHEMA_PATH

    return int(json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["properties"]["schema_version"]["const"])


# The project's dbt profile (dbt_project.yml `profile:`); each target names its output in it (`dbt_target_name`).
DBT_PROFILE_NAME = "olist"


class Target(ABC):
    """One place to run the pipeline. Built by `olist_dw.targets.get_target(settings)`."""

    name: str
    # The output of the dbt profile this target's builds run on (profiles.yml, or Cosmos's profile mapping).
    dbt_target_name: str
    # Airflow runs the simulated shop's clock and delivery (local); elsewhere a scheduler + Lambda and a
    # managed delivery stream do, and those DAGs are not defined.
    simulation_in_airflow: bool
    # The simulator seeds inventory and clock from the products file on its first tick (local); on a cloud
    # the deploy seeds them (`olist-dw infra deploy` / `olist-dw simulate --reset`).
    seeds_simulation_on_first_tick: bool
    # The Airflow pool every warehouse writer queues in, or None where the warehouse takes many writers.
    warehouse_pool: str | None
    # The warehouse reads only the lake partitions registered in a catalog (Spectrum), so each micro-batch
    # registers those of the newly landed files first (`register_realtime_partitions`); locally DuckDB
    # reads the folders as they are and the DAG has no such task.
    registers_lake_partitions: bool = False
    # The dbt profile output `dbt source freshness` runs on, when not the target's own (olist_dw.freshness).
    freshness_dbt_target: str | None = None

    def __init__(self, settings: Settings):
        self.settings = settings

    # --- data lake ---------------------------------------------------------------------------
    @abstractmethod
    def lake(self) -> Lake: ...

    # --- simulated shop ------------------------------------------------------------------------
    @abstractmethod
    def state_store(self) -> Any:
        """Clock and inventory (with an atomic decrement)."""

    @abstractmethod
    def stream(self) -> Any:
        """Where ticks put order events."""

    @abstractmethod
    def delivery(self) -> LocalDelivery:
        """Stream -> buffered Parquet under bronze-sim/ (a UserFacingError where a managed service delivers)."""

    # --- batch (Airflow) -----------------------------------------------------------------------
    @abstractmethod
    def batch_stages(self) -> dict[str, Any]:
        """The non-dbt stages of olist_batch, one top-level node each (call inside a DAG context)."""

    # --- dbt -----------------------------------------------------------------------------------
    @abstractmethod
    def dbt_profile_config(self) -> ProfileConfig: ...

    def dbt_env(self) -> dict[str, str]:
        """Environment the dbt profile and models read (no secrets: those come from connections)."""
        return {
            "OLIST_TARGET": self.name,
            "OLIST_WAREHOUSE_PATH": str(self.settings.warehouse_path),
            "OLIST_LAKE_DIR": str(self.settings.lake_dir),
            # The state codes the brazil_state dbt test accepts, from the source contract (the one list).
            "OLIST_BRAZIL_STATES": ",".join(BRAZIL_STATES),
            # The event version stg_sim__order_items accepts: the order event JSON Schema's (as dead_letter reads it).
            "OLIST_SIM_SCHEMA_VERSION": str(accepted_event_schema_version()),
            "DO_NOT_TRACK": "1",
        }

    # --- near real time ------------------------------------------------------------------------
    @abstractmethod
    def realtime_trigger_asset(self) -> Asset:
        """The bronze-sim/ asset olist_realtime is scheduled on (with its watcher where one is needed)."""

    def register_realtime_partitions(self) -> dict[str, int]:
        """Register the partitions of the files landed within the realtime lookback window (before dbt)."""
        return {}

    @abstractmethod
    def publish_realtime(self) -> dict[str, int]:
        """Make the micro-batch's realtime tables visible to readers; row counts of what was published."""
