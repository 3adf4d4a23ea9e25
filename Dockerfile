# Astro Runtime for Airflow 3 (`astro dev start`). The Runtime's ONBUILD steps copy the project to
# /usr/local/airflow and install packages.txt and requirements.txt (the amazon provider, Cosmos, dbt-core
# with the duckdb and redshift adapters, duckdb, pyarrow) into Airflow's own environment: Cosmos runs
# dbt in-process there (InvocationMode.DBT_RUNNER), no separate dbt virtualenv.
FROM astrocrpublic.azurecr.io/runtime:3.3-2

# plugins/ holds the olist_dw package: Airflow puts it on sys.path for DAGs and tasks; PYTHONPATH does the
# same for the build step below and for `astro dev bash` (python -m olist_dw.cli generate, ...).
# plugins/.airflowignore keeps Airflow's plugin loader from importing the package as plugins.
ENV AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    DO_NOT_TRACK=1 \
    PYTHONPATH=/usr/local/airflow/plugins \
    OLIST_HOME=/usr/local/airflow/.olist

# Build the dbt manifest into the image: Cosmos renders the DAGs from it (LoadMode.DBT_MANIFEST), so DAG
# parsing never runs dbt. `dbt parse` needs no warehouse connection.
RUN python -m olist_dw.cli dbt-manifest
