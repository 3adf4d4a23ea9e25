{#- First day of the month of a date or timestamp, typed `date` on every adapter
    (DuckDB's date_trunc keeps the input type, Redshift's returns a timestamp). -#}
{% macro month_start(ts) -%}
    {{ return(adapter.dispatch('month_start', 'olist')(ts)) }}
{%- endmacro %}

{% macro default__month_start(ts) -%}
    cast(date_trunc('month', {{ ts }}) as date)
{%- endmacro %}

{% macro duckdb__month_start(ts) -%}
    cast(date_trunc('month', cast({{ ts }} as date)) as date)
{%- endmacro %}

{% macro redshift__month_start(ts) -%}
    trunc(date_trunc('month', {{ ts }}))
{%- endmacro %}
