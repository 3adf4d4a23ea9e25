{#- One row per day (column `date_day`, type date) from `start_date` to `end_date` inclusive.
    Both bounds are SQL expressions of type date (they may be scalar subqueries).
    Redshift's generate_series runs on the leader node only, so the default builds the days
    from a cross join of digits (up to 100,000 days). -#}
{% macro date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'olist')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
    with digits as (
        select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
        union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
    ),
    numbers as (
        select a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d as n
        from digits as a
        cross join digits as b
        cross join digits as c
        cross join digits as e
        cross join digits as f
    ),
    bounds as (
        select {{ start_date }} as start_date, {{ end_date }} as end_date
    )
    select cast({{ dbt.dateadd('day', 'numbers.n', 'bounds.start_date') }} as date) as date_day
    from numbers
    cross join bounds
    where numbers.n <= {{ olist.days_between('bounds.start_date', 'bounds.end_date') }}
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
