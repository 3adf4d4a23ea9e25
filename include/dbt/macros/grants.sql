{#- The BI role's read access, on Redshift only (DuckDB has no users).

    Table grants: the `grants` config of marts and gold in dbt_project.yml renders to
    {select: [var('bi_role')]} on Redshift and to {} elsewhere (so dbt-duckdb doesn't even warn).
    Schema usage: `grant_bi_schema_usage(schemas)` runs on-run-end with the schemas the run built (dbt's
    `schemas` context), since a table grant is useless without it. Only schemas listed in var `bi_schemas`
    are granted, so a run that built only realtime models never touches marts. A blue/green schema built
    under OLIST_DBT_SCHEMA_SUFFIX (`marts__build`) is granted under that name: the grant is on the schema
    object, so it survives the publish task's rename to `marts` (which only swaps) and readers never see
    the new schema without usage. -#}
{% macro grant_bi_schema_usage(schemas) -%}
    {{ return(adapter.dispatch('grant_bi_schema_usage', 'olist')(schemas)) }}
{%- endmacro %}

{% macro default__grant_bi_schema_usage(schemas) -%}
    select 1 as no_grants_on_this_adapter
{%- endmacro %}

{% macro redshift__grant_bi_schema_usage(schemas) -%}
    {%- set granted = [] -%}
    {%- set suffix = env_var('OLIST_DBT_SCHEMA_SUFFIX', '') -%}
    {%- set bi_schemas = var('bi_schemas', ['marts', 'gold']) -%}
    {%- set suffixed = [] -%}
    {%- for schema in var('blue_green_schemas', ['marts', 'gold']) if suffix -%}
        {%- do suffixed.append(schema ~ suffix) -%}
    {%- endfor -%}
    {%- for schema in schemas if schema in bi_schemas or schema in suffixed -%}
        {%- do granted.append(schema) %}
    grant usage on schema {{ schema }} to {{ var('bi_role', 'bi_analyst') }};
    {%- endfor %}
    {%- if not granted %}
    select 1 as no_bi_schema_in_this_run
    {%- endif %}
{%- endmacro %}
