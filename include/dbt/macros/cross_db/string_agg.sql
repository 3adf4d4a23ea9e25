{#- Ordered, delimited concatenation of the values of a group (aggregate). -#}
{% macro string_agg(expression, delimiter, order_by) -%}
    {{ return(adapter.dispatch('string_agg', 'olist')(expression, delimiter, order_by)) }}
{%- endmacro %}

{% macro default__string_agg(expression, delimiter, order_by) -%}
    string_agg({{ expression }}, '{{ delimiter }}' order by {{ order_by }})
{%- endmacro %}

{% macro duckdb__string_agg(expression, delimiter, order_by) -%}
    string_agg({{ expression }}, '{{ delimiter }}' order by {{ order_by }})
{%- endmacro %}

{% macro redshift__string_agg(expression, delimiter, order_by) -%}
    listagg({{ expression }}, '{{ delimiter }}') within group (order by {{ order_by }})
{%- endmacro %}
