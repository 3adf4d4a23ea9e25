-- One row per calendar day from the first purchase to the last date any order mentions
-- (estimated deliveries run past the last purchase).
with bounds as (
    select
        min({{ olist.to_date('purchased_at') }}) as first_day,
        max(
            {{ olist.to_date('greatest(purchased_at, coalesce(delivered_at, purchased_at), estimated_delivery_at)') }}
        ) as last_day
    from {{ ref('stg_olist__orders') }}
),

days as (
    {{ olist.date_spine('(select first_day from bounds)', '(select last_day from bounds)') }}
)

select
    cast(date_day as date) as date_day,
    cast(extract(year from date_day) as integer) as year_number,
    cast(extract(quarter from date_day) as integer) as quarter_number,
    cast(extract(month from date_day) as integer) as month_number,
    cast(extract(day from date_day) as integer) as day_of_month,
    {{ olist.iso_day_of_week('date_day') }} as iso_day_of_week,
    {{ olist.month_start('date_day') }} as month_start,
    {{ olist.iso_day_of_week('date_day') }} >= 6 as is_weekend
from days
