{#- One row per item sold by the simulated shop, each event counted once.

    Incremental (append): each run reads the arrival partitions since the newest one already loaded
    (minus `realtime_lookback_days`: files land in arrival order) and keeps only events not loaded yet,
    deduplicated within the batch too, so a file redelivered within the window never counts twice.
    The check against loaded events reads the same window of this table, not all of it: the window's
    first day is looked up first and put in the SQL as a literal, so both scans skip older row groups
    (DuckDB's zone maps; on Redshift, Spectrum's dt partitions and the table's sort). A redelivery older
    than the window is outside what is re-read at all. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
) }}

{%- set window_start = olist.incremental_window_start('arrival_date') %}

with

order_items as (
    select * from {{ ref('stg_sim__order_items') }}
    {%- if window_start is not none %}
    where arrival_date >= cast('{{ window_start }}' as date)
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
            where
                loaded.event_id = order_items.event_id
                {%- if window_start is not none %}
                and loaded.arrival_date >= cast('{{ window_start }}' as date)
                {%- endif %}
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
