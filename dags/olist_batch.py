"""olist_batch: the nine Olist CSVs -> a tested star schema and gold marts (Airflow 3 + Cosmos + dbt)."""

from __future__ import annotations

from airflow.sdk import chain, dag

from olist_dw import cosmos_config
from olist_dw.dag_defaults import dag_args
from olist_dw.settings import get_settings
from olist_dw.targets import get_target

DOC = """
### olist_batch
`land -> validate -> convert -> load -> transform -> publish`, the same steps on both targets
(the target, `olist_dw.targets`, builds the adapters when the file is parsed):

| step | local (embedded default) | aws |
|---|---|---|
| land | copy the source files into `lake/bronze/<table>/` | S3 CopyObject from the inbox (`OLIST_S3_INBOX`) |
| validate | contract checks, bad rows to `quarantine/<table>/`, an unusable file fails the run | same, on S3 |
| convert | CSV -> snappy Parquet (pyarrow) in `bronze-parquet/<table>/` | Glue crawler + Glue job `csv_to_parquet.py` |
| load | DuckDB `raw.*`, one transaction | S3ToRedshift `COPY ... FORMAT AS PARQUET`, IAM role |
| transform | dbt `tag:batch` via Cosmos (one `dbt build`, a sensor per model) | same, Redshift profile |
| publish | snapshot `marts`+`gold` into `serving/analytics.duckdb` | swap the `__build` schemas in one transaction |

Publish runs only when every dbt test passed: a failed run leaves the published marts unchanged.
It emits the `olist_gold` asset. Trigger it by hand or with `make demo`; locally the source files come from
`OLIST_SOURCE_DIR` (or the generated `OLIST_HOME/source`), on AWS from the S3 inbox (`OLIST_S3_INBOX`).
"""

settings = get_settings()
target = get_target(settings)


@dag(
    dag_id="olist_batch",
    description="Olist CSVs -> validated lake -> warehouse raw -> dbt star schema and gold marts",
    doc_md=DOC,
    schedule=None,
    **dag_args(settings),
    tags=["olist", "batch", target.name],
)
def olist_batch():
    stages = target.batch_stages()
    transform = cosmos_config.dbt_task_group("transform", select=["tag:batch"], target=target)
    chain(stages["land"], stages["validate"], stages["convert"], stages["load"], transform, stages["publish"])


olist_batch()
