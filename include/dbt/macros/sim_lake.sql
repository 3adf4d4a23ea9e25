{#- How the simulated orders in the lake are read, per warehouse: locally DuckDB reads the Parquet files in
    place (hive partitions dt=/hour=); on Redshift, Spectrum reads the Glue table sim_orders, partitioned by the
    same dt/hour folders (the realtime DAG registers new partitions before dbt runs). -#}

{#- FROM clause of the orders with their nested items unnested, one row per item. Both unnest in the FROM
    clause on the source itself: Redshift Spectrum navigates nested columns only there. -#}
{% macro from_sim_order_items(orders_relation, orders_alias, items_alias) -%}
    {{ return(adapter.dispatch('from_sim_order_items', 'olist')(orders_relation, orders_alias, items_alias)) }}
{%- endmacro %}

{% macro default__from_sim_order_items(orders_relation, orders_alias, items_alias) -%}
    {{ orders_relation }} as {{ orders_alias }}, {{ orders_alias }}.items as {{ items_alias }}
{%- endmacro %}

{% macro duckdb__from_sim_order_items(orders_relation, orders_alias, items_alias) -%}
    {{ orders_relation }} as {{ orders_alias }}, unnest({{ orders_alias }}.items) as _unnested({{ items_alias }})
{%- endmacro %}

{#- Whether the lake holds any simulated order yet. Locally an empty glob makes read_parquet fail, so the
    staging view is built empty until the first file lands; Spectrum reads an empty prefix as no rows. -#}
{% macro sim_lake_has_files() -%}
    {{ return(adapter.dispatch('sim_lake_has_files', 'olist')()) }}
{%- endmacro %}

{% macro default__sim_lake_has_files() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro duckdb__sim_lake_has_files() -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set lake_glob = env_var('OLIST_LAKE_DIR', '.olist/lake') ~ '/bronze-sim/**/*.parquet' -%}
    {%- set found = run_query("select count(*) from glob('" ~ lake_glob ~ "')").columns[0].values()[0] -%}
    {{ return(found > 0) }}
{%- endmacro %}
