"""Stand-in for AWS Glue's awsglue library: only what include/glue/csv_to_parquet.py uses."""
