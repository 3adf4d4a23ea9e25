{#- Median of a numeric column as an aggregate (use with group by). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'olist')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro redshift__median(expression) -%}
    median({{ expression }})
{%- endmacro %}
