{#- One row per item sold by the simulated shop, each event counted once.

    Incremental (append): each run reads the arrival partitions since the newest one already loaded
    (minus `realtime_lookback_days`: files land in arrival order) and keeps only events not loaded yet,
    deduplicated within the batch too, so a redelivered or replayed event never counts twice.
    The check against loaded events reads only the loaded rows purchased since the earliest purchase among
    the rows read: every copy of an event has the same purchased_at, so a first copy is always among them,
    however long ago it arrived (a replay repeats events of days ago into today's partition). Both bounds
    are looked up first and put in the SQL as literals, so the scans skip older row groups (DuckDB's zone
    maps: rows are appended in purchase order; on Redshift, Spectrum's dt partitions and the table's sort).
    A file rewritten into an arrival partition older than the window is not re-read at all. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
) }}

{%- set window_start = olist.incremental_window_start('arrival_date') %}
{%- set purchased_floor = olist.incremental_new_rows_floor(
    ref('stg_sim__order_items'), 'purchased_at', 'arrival_date', window_start
) %}

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
                {%- if purchased_floor is not none %}
                and loaded.purchased_at >= cast('{{ purchased_floor }}' as timestamp)
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
