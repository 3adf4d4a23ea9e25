"""AWS: S3 lake, Glue crawler + Spark job, Redshift Serverless (+ Spectrum), DynamoDB, Kinesis + Firehose,
EventBridge Scheduler + Lambda, and S3 events -> SQS -> an AssetWatcher. Resources come from infra/.

Airflow, Cosmos and the Amazon provider are imported inside the methods that need them: the order
generator's Lambda imports this module for the state store and the stream only.
"""

from __future__ import annotations

from typing import Any

from olist_dw.errors import UserFacingError
from olist_dw.settings import Settings
from olist_dw.targets.base import DBT_PROFILE_NAME, Target

SQS_POLL_SECONDS = 5  # between ReceiveMessage calls when the queue was empty


SIM_TABLE = "sim_orders"  # the Glue/Spectrum table of bronze-sim/ (infra/olist.yaml SimOrdersTable)


def glue_job_arguments(settings: Settings) -> dict[str, str]:
    return {
        "--source_path": f"s3://{settings.s3_bucket}/bronze/",
        "--target_path": f"s3://{settings.s3_bucket}/bronze-parquet/",
    }


def copy_kwargs() -> list[dict[str, str]]:
    """One COPY per raw table (expand_kwargs of the mapped COPY task)."""
    from olist_dw.contract import SOURCES

    return [{"table": s.table, "s3_key": f"bronze-parquet/{s.table}/"} for s in SOURCES]


class AwsTarget(Target):
    name = "aws"
    dbt_target_name = "aws"
    simulation_in_airflow = False  # EventBridge Scheduler invokes the Lambda; Firehose delivers
    seeds_simulation_on_first_tick = False  # `olist-dw simulate --reset` seeds DynamoDB
    warehouse_pool = None  # Redshift takes concurrent writers
    registers_lake_partitions = True  # Spectrum reads only the Glue partitions of sim_orders

    def lake(self):
        from olist_dw.lake import S3Lake

        return S3Lake(self.settings.s3_bucket, self.settings.aws_conn_id)

    def state_store(self):
        from olist_dw.sim.dynamodb_store import DynamoDBStateStore

        s = self.settings
        return DynamoDBStateStore(s.sim_config_table, s.sim_inventory_table, s.aws_region)

    def stream(self):
        from olist_dw.sim.kinesis import KinesisStream

        return KinesisStream(self.settings.kinesis_stream, self.settings.aws_region)

    def delivery(self):
        raise UserFacingError("on AWS, Firehose delivers the stream (OLIST_TARGET=aws); this command is local only")

    def batch_stages(self) -> dict[str, Any]:
        from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
        from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerRunOperator
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
        from airflow.sdk import TaskGroup

        from olist_dw.assets import GOLD_ASSET
        from olist_dw.batch import stages
        from olist_dw.batch.load import RAW_SCHEMA, raw_table_ddl
        from olist_dw.batch.publish import redshift_swap_sql
        from olist_dw.batch.redshift import ParquetCopyOperator

        s = self.settings
        # The files wait in the S3 inbox, not on a worker's disk (nothing fills that on a managed Airflow).
        land = stages.land_from_inbox()
        with TaskGroup("validate") as validate:
            stages.validate.override(task_id="check_contract")(write_parquet=False)
        with TaskGroup("convert") as convert:
            crawl_bronze = GlueCrawlerRunOperator(
                task_id="crawl_bronze", crawler_name=s.glue_crawler, aws_conn_id=s.aws_conn_id, region_name=s.aws_region
            )
            csv_to_parquet = GlueJobOperator(
                task_id="csv_to_parquet",
                job_name=s.glue_job,
                script_args=glue_job_arguments(s),
                wait_for_completion=True,
                aws_conn_id=s.aws_conn_id,
                region_name=s.aws_region,
            )
            crawl_bronze >> csv_to_parquet
        with TaskGroup("load") as load:
            create_raw_tables = SQLExecuteQueryOperator(
                task_id="create_raw_tables", conn_id=s.redshift_conn_id, sql=raw_table_ddl()
            )
            copy_to_raw = ParquetCopyOperator.partial(
                task_id="copy_to_raw",
                schema=RAW_SCHEMA,
                s3_bucket=s.s3_bucket,
                redshift_conn_id=s.redshift_conn_id,
                aws_conn_id=s.aws_conn_id,
                iam_role_arn=s.redshift_iam_role_arn,
            ).expand_kwargs(copy_kwargs())
            create_raw_tables >> copy_to_raw
        with TaskGroup("publish") as publish:
            SQLExecuteQueryOperator(
                task_id="swap_schemas",
                conn_id=s.redshift_conn_id,
                sql=redshift_swap_sql(),
                autocommit=True,
                outlets=[GOLD_ASSET],
            )
        return {"land": land, "validate": validate, "convert": convert, "load": load, "publish": publish}

    def dbt_profile_config(self):
        """dbt-redshift from the Airflow connection `redshift_conn_id`: no password is ever written to a file."""
        from cosmos import ProfileConfig
        from cosmos.profiles import RedshiftUserPasswordProfileMapping

        return ProfileConfig(
            profile_name=DBT_PROFILE_NAME,
            target_name=self.dbt_target_name,
            profile_mapping=RedshiftUserPasswordProfileMapping(
                conn_id=self.settings.redshift_conn_id,
                # dbname comes from the connection's schema field; models set their own schemas.
                profile_args={"schema": "public", "threads": 4, "sslmode": "require"},
            ),
        )

    def dbt_env(self) -> dict[str, str]:
        # marts and gold are built into `<schema>__build` and swapped in by publish (olist_dw.batch.publish);
        # the project's generate_schema_name appends this suffix to them.
        from olist_dw.batch.publish import BUILD_SUFFIX

        return {**super().dbt_env(), "OLIST_DBT_SCHEMA_SUFFIX": BUILD_SUFFIX}

    def realtime_trigger_asset(self):
        """S3 sends "Object Created" events for bronze-sim/ to SQS (infra/); an AssetWatcher with the Amazon
        provider's SqsSensorTrigger polls it in the triggerer and emits an asset event per batch of messages."""
        from airflow.providers.amazon.aws.triggers.sqs import SqsSensorTrigger
        from airflow.sdk import AssetWatcher

        from olist_dw.assets import bronze_sim_asset

        s = self.settings
        trigger = SqsSensorTrigger(
            sqs_queue=s.sqs_queue_url,
            aws_conn_id=s.aws_conn_id,
            region_name=s.aws_region,
            max_messages=10,
            wait_time_seconds=10,  # long polling
            waiter_delay=SQS_POLL_SECONDS,
        )
        uri = f"s3://{s.s3_bucket}/bronze-sim/" if s.s3_bucket else None
        return bronze_sim_asset(uri=uri, watchers=[AssetWatcher(name="bronze_sim_sqs", trigger=trigger)])

    def register_realtime_partitions(self) -> dict[str, int]:
        """Register in Glue the dt/hour partitions of the bronze-sim/ files of the lookback window (today, UTC,
        and `realtime_lookback_days` before: what the micro-batch reads). Listing the window rather than
        trusting the triggering events also catches a file whose event was missed. Idempotent."""
        from datetime import UTC, datetime, timedelta

        from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

        from olist_dw.dbt_runner import project_vars
        from olist_dw.infra.sim_partitions import SIM_PREFIX, register_sim_partitions

        s = self.settings
        today = datetime.now(UTC).date()
        lookback = int(project_vars()["realtime_lookback_days"])
        lake = self.lake()
        keys = [
            key
            for days_ago in range(lookback + 1)
            for key in lake.list_keys(f"{SIM_PREFIX}dt={today - timedelta(days=days_ago):%Y-%m-%d}/")
        ]
        glue = AwsBaseHook(aws_conn_id=s.aws_conn_id, client_type="glue", region_name=s.aws_region).get_conn()
        registered = register_sim_partitions(glue, s.glue_database, SIM_TABLE, keys)
        return {"files": len(keys), "partitions_registered": len(registered)}

    def publish_realtime(self) -> dict[str, int]:
        """Nothing to copy: on Redshift the BI role reads realtime.* directly, with dbt's grants."""
        return {}
