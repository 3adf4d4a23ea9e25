-- Redshift setup of olist-dw, run by `olist-dw infra redshift-setup --env NAME` (and by `deploy`) through the
-- Redshift Data API as the admin user. Idempotent: every statement can run again.
-- Before these statements the runner creates (or re-keys) the users dbt_user and bi_analyst with the
-- passwords of their Secrets Manager secrets, sent as md5 hashes (the plain passwords never leave the runner).
-- Placeholders: {database}, {glue_database}, {redshift_role_arn} (validated before substitution).

-- Spectrum: the Glue database as an external schema; sim_orders reads bronze-sim/ (Firehose's Parquet).
CREATE EXTERNAL SCHEMA IF NOT EXISTS bronze_sim_ext
FROM DATA CATALOG DATABASE '{glue_database}'
IAM_ROLE '{redshift_role_arn}';

-- The schemas dbt (and the batch loader) write, owned by dbt_user so that dbt can replace its relations.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS intermediate;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS gold;
CREATE SCHEMA IF NOT EXISTS realtime;
ALTER SCHEMA raw OWNER TO dbt_user;
ALTER SCHEMA staging OWNER TO dbt_user;
ALTER SCHEMA intermediate OWNER TO dbt_user;
ALTER SCHEMA marts OWNER TO dbt_user;
ALTER SCHEMA gold OWNER TO dbt_user;
ALTER SCHEMA realtime OWNER TO dbt_user;
-- dbt may create helper schemas (e.g. for stored test failures) and reads the lake through Spectrum.
GRANT CREATE, TEMP ON DATABASE {database} TO dbt_user;
GRANT USAGE ON SCHEMA bronze_sim_ext TO dbt_user;

-- Nobody but dbt_user creates objects: PUBLIC (so bi_analyst) loses CREATE on the default schema.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- bi_analyst: read-only on what analysts and Power BI see.
GRANT USAGE ON SCHEMA marts, gold, realtime TO bi_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA marts, gold, realtime TO bi_analyst;
-- ...including every table and view dbt_user creates there later.
ALTER DEFAULT PRIVILEGES FOR USER dbt_user IN SCHEMA marts, gold, realtime GRANT SELECT ON TABLES TO bi_analyst;
