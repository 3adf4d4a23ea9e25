{#- One row per item sold by the simulated shop, each event counted once.

    Incremental (append): each run reads the arrival partitions since the newest one already loaded
    (minus `realtime_lookback_days`: files land in arrival order) and keeps only events not in the table yet,
    deduplicated within the batch too, so a redelivered file never counts twice. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
) }}

with

order_items as (
    select * from {{ ref('stg_sim__order_items') }}
    {%- if is_incremental() %}
    where
        arrival_date >= (
            select coalesce(max(loaded.arrival_date), cast('1900-01-01' as date)) as newest_arrival_date
            from {{ this }} as loaded
        ) - {{ var('realtime_lookback_days', 1) | int }}
    {%- endif %}
),

first_copies as (
    select
        order_items.*,
        row_number() over (
            partition by order_items.event_id, order_items.order_item_id order by order_items.arrival_date
        ) as copy_number
    from order_items
    {%- if is_incremental() %}
    where
        not exists (
            select 1 as is_loaded
            from {{ this }} as loaded
            where loaded.event_id = order_items.event_id
        )
    {%- endif %}
)

select
    event_item_key,
    event_id,
    order_id,
    order_item_id,
    product_id,
    product_category,
    price,
    customer_id,
    customer_unique_id,
    customer_city,
    customer_state,
    customer_zip_code_prefix,
    purchased_at,
    purchase_date,
    produced_at,
    schema_version,
    arrival_date,
    cast({{ dbt.current_timestamp() }} as timestamp) as _loaded_at
from first_copies
where copy_number = 1
