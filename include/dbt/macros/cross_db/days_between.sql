{#- Whole calendar days from `start_ts` to `end_ts` (midnight crossings), null when either is null. -#}
{% macro days_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('days_between', 'olist')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__days_between(start_ts, end_ts) -%}
    (cast({{ end_ts }} as date) - cast({{ start_ts }} as date))
{%- endmacro %}

{% macro duckdb__days_between(start_ts, end_ts) -%}
    cast(date_diff('day', cast({{ start_ts }} as date), cast({{ end_ts }} as date)) as integer)
{%- endmacro %}

{% macro redshift__days_between(start_ts, end_ts) -%}
    cast(datediff(day, cast({{ start_ts }} as date), cast({{ end_ts }} as date)) as integer)
{%- endmacro %}
