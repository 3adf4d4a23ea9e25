"""The load step on AWS: the Amazon provider's S3ToRedshiftOperator, COPY ... FORMAT AS PARQUET.

Redshift reads the Parquet with its own IAM role (OLIST_REDSHIFT_IAM_ROLE_ARN, attached to the
workgroup/cluster by the infra stack): no access key ever appears in the COPY statement. The provider
builds a credentials block from the AWS connection; this subclass only replaces that block with the
role, and pins FORMAT AS PARQUET and method REPLACE (DELETE + COPY in one transaction per table).
"""

from __future__ import annotations

from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator


class ParquetCopyOperator(S3ToRedshiftOperator):
    """Replace a raw table with the Parquet under s3://bucket/s3_key, read with the Redshift IAM role."""

    template_fields = (*S3ToRedshiftOperator.template_fields, "iam_role_arn")

    def __init__(self, *, iam_role_arn: str, **kwargs):
        kwargs.setdefault("copy_options", ["FORMAT AS PARQUET"])
        kwargs.setdefault("method", "REPLACE")
        super().__init__(**kwargs)
        self.iam_role_arn = iam_role_arn

    def _build_copy_query(self, copy_destination: str, credentials_block: str, region_info: str, copy_options: str):
        if self.iam_role_arn:
            credentials_block = f"aws_iam_role={self.iam_role_arn}"
        return super()._build_copy_query(copy_destination, credentials_block, region_info, copy_options)
