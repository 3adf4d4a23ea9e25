"""The one place the project is configured: typed settings read from the environment.

Every setting is an ``OLIST_*`` environment variable (see the README's settings table).
Paths of local state are derived from ``OLIST_HOME`` so that one folder holds the lake,
the warehouse, the simulation state and the local Airflow home.
"""

from __future__ import annotations

from functools import cached_property
from ipaddress import IPv4Address
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyAddress, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "include" / "dbt"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OLIST_", extra="ignore", frozen=True)

    # --- where things run -------------------------------------------------------------------
    target: Literal["local", "aws"] = Field("local", description="Which adapters to use.")
    home: Path = Field(Path(".olist"), description="Folder holding all local state.")
    source_dir: Path | None = Field(
        None, description="Folder with the nine Olist CSVs (e.g. the Kaggle files); generated when unset."
    )
    scale: float = Field(0.01, gt=0, le=10, description="Scale of the generated dataset (1.0 = real size).")
    seed: int = Field(42, description="Seed of the generated dataset and the simulator.")

    # --- batch pipeline ----------------------------------------------------------------------
    max_bad_row_fraction: float = Field(
        0.01,
        ge=0,
        le=1,
        description="A source file with a larger share of quarantined rows (row rules or broken keys, cascades "
        "included) fails the batch run at validate.",
    )
    task_retries: int = Field(2, ge=0, description="Retries of every pipeline task (0 in tests: fail fast).")
    duckdb_memory_limit: str = Field(
        "1GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB's memory for the local dbt build (the warehouse file); past it, joins, aggregates and "
        "sorts spill to disk. DuckDB's own default is 80% of RAM.",
    )

    # --- simulation (near real time) ---------------------------------------------------------
    sim_tick_seconds: float = Field(60.0, gt=0, description="Simulated seconds per tick before speed-up.")
    sim_speed_factor: float = Field(60.0, gt=0, description="Simulated time runs this many times faster.")
    sim_orders_min: int = Field(3, ge=0, description="Fewest orders drawn per tick.")
    sim_orders_max: int = Field(20, ge=1, description="Most orders drawn per tick.")
    delivery_buffer_bytes: int = Field(1_048_576, gt=0, description="Delivery flushes a file at this size.")
    delivery_buffer_seconds: float = Field(10.0, gt=0, description="...or when its oldest record is this old.")
    sim_stock_max: int = Field(25, ge=1, description="Initial stock of each product: 1..this (popular ones sell out).")

    # --- alerts and freshness (olist_dw.alerts, olist_dw.freshness; docs/operations.md) --------
    alert_conn_id: str = Field(
        "",
        description="Airflow connection alerts are sent to besides OLIST_HOME/alerts/alerts.jsonl; its type picks "
        "the notifier: slackwebhook (Slack), smtp (e-mail to OLIST_ALERT_EMAIL_TO) or http (JSON POST). "
        "Empty: the local file only.",
    )
    alert_email_to: str = Field(
        "", description="Comma-separated recipients of the alerts when OLIST_ALERT_CONN_ID is smtp."
    )
    freshness_schedule: str = Field(
        "* * * * *",
        min_length=1,
        description="Cron schedule of the olist_freshness DAG (dbt source freshness of the streamed orders and the "
        "published gold_sim's age).",
    )
    sim_freshness_warn_minutes: int = Field(
        15,
        ge=1,
        description="dbt source freshness of the streamed orders (produced_at): warn when the newest is older.",
    )
    sim_freshness_error_minutes: int = Field(
        60, ge=1, description="...and error when it is older than this (both are source_freshness alerts)."
    )
    gold_sim_stale_seconds: float = Field(
        900.0,
        gt=0,
        description="A published realtime.gold_sim whose newest row is older than this while the simulator produces "
        "orders (newest event younger than this) is a stale_gold_sim alert.",
    )
    alert_repeat_minutes: float = Field(
        30.0,
        ge=0,
        description="A freshness alert (same DAG, kind and severity) is sent again only after this many minutes while "
        "the condition lasts, not at every check; 0 sends it at every check.",
    )

    # --- local services (Airflow's API server and UI, the dashboard) -------------------------
    bind_host: IPvAnyAddress = Field(
        IPv4Address("127.0.0.1"),
        description="Address the local Airflow API server/UI and the dashboard listen on; 0.0.0.0 opens them "
        "to the network.",
    )

    # --- dashboard (read-only, over the serving snapshot) ------------------------------------
    dashboard_port: int = Field(8501, ge=1, le=65535, description="Port of `make dashboard` (on OLIST_BIND_HOST).")
    dashboard_refresh_seconds: float = Field(
        5.0, ge=1, description="How often the dashboard's live panel re-reads realtime.gold_sim."
    )
    docs_port: int = Field(8580, ge=1, le=65535, description="Port of `make docs`, the dbt docs (on OLIST_BIND_HOST).")

    # --- local Airflow ----------------------------------------------------------------------
    airflow_db: str = Field(
        "postgres", description="Local Airflow's metadata DB: postgres (own server), sqlite or a SQLAlchemy URL."
    )
    airflow_db_port: int = Field(0, ge=0, le=65535, description="Port of that server on 127.0.0.1 (0: a free one).")

    # --- AWS names (used when target=aws) ----------------------------------------------------
    aws_region: str = Field("us-east-1", description="AWS region of every resource.")
    aws_conn_id: str = Field("aws_default", description="Airflow connection for AWS calls.")
    redshift_conn_id: str = Field("redshift_default", description="Airflow connection for Redshift.")
    s3_bucket: str = Field("", description="Lake bucket (from the infra stack outputs).")
    s3_inbox: str = Field(
        "",
        pattern=r"^$|^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([^/].*/)?$",
        description="Where olist_batch's land copies the nine source files from on AWS: s3://bucket/prefix/ "
        "(ending in '/'); empty: s3://<OLIST_S3_BUCKET>/inbox/. Fill it with `olist-dw infra upload-source`.",
    )
    glue_database: str = Field("olist_lake", description="Glue catalog database.")
    glue_crawler: str = Field("olist-bronze-crawler", description="Glue crawler over bronze/.")
    glue_job: str = Field("olist-csv-to-parquet", description="Glue Spark job converting CSV to Parquet.")
    redshift_iam_role_arn: str = Field("", description="IAM role Redshift assumes for COPY and Spectrum.")
    redshift_database: str = Field("olist", description="Redshift database.")
    redshift_workgroup: str = Field(
        "olist", description="Redshift Serverless workgroup (and namespace) name; the Data API targets it."
    )
    kinesis_stream: str = Field("olist-orders", description="Kinesis stream of simulated orders.")
    sim_config_table: str = Field("Sim_Config", description="DynamoDB table of the simulation clock.")
    sim_inventory_table: str = Field("Sim_Inventory", description="DynamoDB table of the inventory.")
    sqs_queue_url: str = Field("", description="SQS queue of S3 'Object Created' events for bronze-sim/.")

    @field_validator("home", "source_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        # Airflow tasks run from another working directory: resolve once, here.
        return value.expanduser().resolve() if value is not None else None

    @field_validator("sim_orders_max")
    @classmethod
    def _orders_range(cls, value: int, info) -> int:
        low = info.data.get("sim_orders_min", 0)
        if value < low:
            raise ValueError(f"OLIST_SIM_ORDERS_MAX ({value}) is below OLIST_SIM_ORDERS_MIN ({low})")
        return value

    @field_validator("sim_freshness_error_minutes")
    @classmethod
    def _freshness_range(cls, value: int, info) -> int:
        warn = info.data.get("sim_freshness_warn_minutes", 0)
        if value < warn:
            raise ValueError(
                f"OLIST_SIM_FRESHNESS_ERROR_MINUTES ({value}) is below OLIST_SIM_FRESHNESS_WARN_MINUTES ({warn})"
            )
        return value

    # --- derived local paths -----------------------------------------------------------------
    @cached_property
    def lake_dir(self) -> Path:
        """Local data lake: bronze/, bronze-parquet/, bronze-sim/, quarantine/."""
        return self.home / "lake"

    @cached_property
    def warehouse_path(self) -> Path:
        """The DuckDB file dbt builds into (one writer at a time)."""
        return self.home / "warehouse.duckdb"

    @cached_property
    def serving_path(self) -> Path:
        """The published, read-only snapshot the dashboard reads: this file (marts, gold) and a file per
        other published set beside it (`analytics.realtime.duckdb`)."""
        return self.home / "serving" / "analytics.duckdb"

    @cached_property
    def alerts_path(self) -> Path:
        """The alerts the pipeline raised (JSON Lines): written by olist_dw.alerts, shown by the health page."""
        return self.home / "alerts" / "alerts.jsonl"

    @cached_property
    def generated_source_dir(self) -> Path:
        return self.home / "source"

    @cached_property
    def effective_source_dir(self) -> Path:
        """Where the batch reads the nine CSVs: OLIST_SOURCE_DIR, else the generated dataset."""
        return self.source_dir or self.generated_source_dir

    @cached_property
    def sim_dir(self) -> Path:
        """Simulation state (SQLite) and the embedded stream log."""
        return self.home / "sim"

    @cached_property
    def client_host(self) -> str:
        """The host a local client puts in a URL for a server listening on OLIST_BIND_HOST."""
        host = self.bind_host
        if host.is_unspecified:  # every interface, loopback included
            return "127.0.0.1" if host.version == 4 else "[::1]"
        return str(host) if host.version == 4 else f"[{host}]"

    @cached_property
    def airflow_home(self) -> Path:
        return self.home / "airflow"


def get_settings() -> Settings:
    """Fresh settings from the current environment (cheap; call where needed, don't cache globally)."""
    return Settings()
