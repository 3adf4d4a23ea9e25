{#- ISO day of week, 1 = Monday .. 7 = Sunday. -#}
{% macro iso_day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'olist')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expression) -%}
    cast(extract(isodow from {{ date_expression }}) as integer)
{%- endmacro %}

{% macro redshift__iso_day_of_week(date_expression) -%}
    cast(case when date_part(dow, {{ date_expression }}) = 0 then 7 else date_part(dow, {{ date_expression }}) end as integer)
{%- endmacro %}
