{#- Calendar date of a timestamp (Brazil local time in the source: no zone conversion). -#}
{% macro to_date(ts) -%}
    {{ return(adapter.dispatch('to_date', 'olist')(ts)) }}
{%- endmacro %}

{% macro default__to_date(ts) -%}
    cast({{ ts }} as date)
{%- endmacro %}

{% macro redshift__to_date(ts) -%}
    trunc({{ ts }})
{%- endmacro %}
