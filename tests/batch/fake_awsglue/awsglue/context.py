"""GlueContext wraps a SparkContext and hands out its SparkSession, as Glue's does."""

from __future__ import annotations

from pyspark.context import SparkContext
from pyspark.sql import SparkSession


class GlueContext:
    def __init__(self, spark_context: SparkContext):
        self.spark_context = spark_context
        self.spark_session = SparkSession(spark_context)
