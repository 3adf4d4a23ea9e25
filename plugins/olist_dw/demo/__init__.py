"""`olist-dw demo`'s steps: real DAG runs through Airflow on the embedded default, then what they published."""
