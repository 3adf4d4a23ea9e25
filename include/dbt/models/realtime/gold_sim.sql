{#- Orders and revenue of the simulated shop per purchase day and customer state.

    Incremental over the days touched by new data: a run recomputes every (day, state) of the purchase days
    that fct_items_sold rows loaded since the previous run belong to (late events update their day), and
    replaces those rows (delete+insert on the key). `_silver_loaded_at` (the name the published column has
    always had: Power BI reports read it) is the watermark that makes this work. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['order_date', 'customer_state'],
) }}

with

{% if is_incremental() %}
touched_days as (
    select distinct purchase_date
    from {{ ref('fct_items_sold') }}
    where
        _loaded_at > (
            select coalesce(max(published._silver_loaded_at), cast('1900-01-01' as timestamp)) as watermark
            from {{ this }} as published
        )
),
{% endif %}

items as (
    select * from {{ ref('fct_items_sold') }}
    {%- if is_incremental() %}
    where purchase_date in (select touched_days.purchase_date from touched_days)
    {%- endif %}
)

select
    purchase_date as order_date,
    customer_state,
    count(distinct order_id) as total_orders,
    cast(sum(price) as decimal(18, 2)) as daily_revenue,
    max(_loaded_at) as _silver_loaded_at
from items
group by purchase_date, customer_state
