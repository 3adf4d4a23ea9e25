{#- One row per day (column `date_day`, type date) from `start_date` to `end_date` inclusive.
    Both bounds are SQL expressions of type date (they may be scalar subqueries).
    Redshift's generate_series runs on the leader node only, so the default builds the days
    from a cross join of digits (up to 100,000 days). -#}
{% macro date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'olist')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
    {%- set digits -%}
        (select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
         union all select 5 union all select 6 union all select 7 union all select 8 union all select 9)
    {%- endset -%}
    select cast({{ dbt.dateadd('day', 'numbers.n', 'spine_bounds.start_date') }} as date) as date_day
    from (
        select d1.d + 10 * d2.d + 100 * d3.d + 1000 * d4.d + 10000 * d5.d as n
        from {{ digits }} as d1
        cross join {{ digits }} as d2
        cross join {{ digits }} as d3
        cross join {{ digits }} as d4
        cross join {{ digits }} as d5
    ) as numbers
    cross join (
        select {{ start_date }} as start_date, {{ end_date }} as end_date
    ) as spine_bounds
    where numbers.n <= {{ olist.days_between('spine_bounds.start_date', 'spine_bounds.end_date') }}
{%- endmacro %}

{% macro duckdb__date_spine(start_date, end_date) -%}
    select cast(day_ts as date) as date_day
    from (
        select unnest(generate_series(
            cast({{ start_date }} as timestamp),
            cast({{ end_date }} as timestamp),
            interval 1 day
        )) as day_ts
    ) as days
{%- endmacro %}
