# Astro Runtime for Airflow 3 (`astro dev start`). The Runtime's ONBUILD steps copy the project to
# /usr/local/airflow, install packages.txt and requirements.txt; plugins/ (the olist_dw package) is on sys.path.
FROM astrocrpublic.azurecr.io/runtime:3.3-2

ENV AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    DO_NOT_TRACK=1 \
    OLIST_HOME=/usr/local/airflow/.olist

# Build the dbt manifest into the image: Cosmos renders the DAGs from it, so parsing never runs dbt.
RUN python -m olist_dw.cli dbt-manifest
