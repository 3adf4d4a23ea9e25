# Astro Runtime for Airflow 3 (`astro dev start`). The Runtime's ONBUILD steps copy the project to
# /usr/local/airflow and install packages.txt and requirements.txt (the amazon provider, Cosmos, dbt-core
# with the duckdb and redshift adapters, duckdb, pyarrow) into Airflow's own environment: Cosmos runs
# dbt in-process there (InvocationMode.DBT_RUNNER), no separate dbt virtualenv.
FROM astrocrpublic.azurecr.io/runtime:3.3-2

# plugins/ holds the olist_dw package: Airflow puts it on sys.path for DAGs and tasks; PYTHONPATH does the
# same for the build step below and for `astro dev bash` (python -m olist_dw.cli generate, ...).
# plugins/.airflowignore keeps Airflow's plugin loader from importing the package as plugins.
# The image is the AWS path's Airflow (Astro): OLIST_TARGET=aws here, so the DAGs parse with the target the
# manifest below is built for; the deployment's environment variables (`olist-dw infra outputs`) add the rest.
ENV AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    DO_NOT_TRACK=1 \
    PYTHONPATH=/usr/local/airflow/plugins \
    OLIST_HOME=/usr/local/airflow/.olist \
    OLIST_TARGET=aws

# Build the dbt manifest into the image: Cosmos renders the DAGs from it (LoadMode.DBT_MANIFEST), so DAG
# parsing never runs dbt. Astro runs RUN steps after the Runtime's ONBUILD copy of the project, so the
# project is there. The aws dbt target (dbt-redshift) with the AWS target's dbt environment (marts and gold
# into their __build schemas): a manifest of the local target would describe DuckDB models. `dbt parse`
# needs no warehouse connection. include/dbt/target/ is gitignored: on MWAA, which builds no image, this
# manifest does not exist (docs/deploy-aws.md, "Managed Airflow").
RUN OLIST_TARGET=aws python -m olist_dw.cli dbt-manifest --target aws
