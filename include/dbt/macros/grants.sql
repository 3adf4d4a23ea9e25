{#- The BI role's read access, on Redshift only (DuckDB has no users).

    Table grants: the `grants` config of marts and gold in dbt_project.yml renders to
    {select: [var('bi_role')]} on Redshift and to {} elsewhere (so dbt-duckdb doesn't even warn).
    Schema usage: `grant_bi_schema_usage()` runs on-run-end, since a table grant is useless without it. -#}
{% macro grant_bi_schema_usage(schemas) -%}
    {{ return(adapter.dispatch('grant_bi_schema_usage', 'olist')(schemas)) }}
{%- endmacro %}

{% macro default__grant_bi_schema_usage(schemas) -%}
    select 1 as no_grants_on_this_adapter
{%- endmacro %}

{% macro redshift__grant_bi_schema_usage(schemas) -%}
    {%- for schema in schemas %}
    grant usage on schema {{ schema }} to {{ var('bi_role', 'bi_analyst') }};
    {%- endfor %}
{%- endmacro %}
