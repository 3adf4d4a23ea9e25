{#- One row per item sold by the simulated shop, each event counted once.

    Incremental (append): each run reads the arrival partitions since the newest one already loaded
    (minus `realtime_lookback_days`: files land in arrival order) and keeps only events not in the table yet,
    deduplicated within the batch too, so a redelivered file never counts twice.
    Locally the source is the Parquet files in the lake; with no file yet the model builds empty. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
) }}

{%- set orders_source = source('bronze_sim', 'sim_orders') -%}
{#- Arrival day: the dt= partition of the local lake; the Glue table on AWS has no partition keys (Spectrum
    reads the folders recursively), so there the production day stands in for it (minutes apart). -#}
{%- set arrival_date = "cast(o.dt as date)" if target.type == 'duckdb' else "cast(o.produced_at as date)" -%}
{%- set has_files = true -%}
{%- if execute and target.type == 'duckdb' -%}
    {%- set lake_glob = env_var('OLIST_LAKE_DIR', '.olist/lake') ~ '/bronze-sim/**/*.parquet' -%}
    {%- set has_files = run_query("select count(*) from glob('" ~ lake_glob ~ "')").columns[0].values()[0] > 0 -%}
{%- endif %}

with

{% if has_files %}
items as (
    -- Unnest in the FROM clause on the source itself: Redshift Spectrum navigates nested columns only there.
    select
        o.event_id,
        o.order_id,
        i.order_item_id,
        i.product_id,
        i.product_category,
        i.price,
        o.customer_id,
        o.customer_unique_id,
        o.customer_city,
        o.customer_state,
        o.customer_zip_code_prefix,
        o.purchased_at,
        o.produced_at,
        o.schema_version,
        {{ arrival_date }} as arrival_date
    {%- if target.type == 'duckdb' %}
    from {{ orders_source }} as o, unnest(o.items) as u(i)
    {%- else %}
    from {{ orders_source }} as o, o.items as i
    {%- endif %}
    {%- if is_incremental() %}
    where {{ arrival_date }} >= (
        select coalesce(max(arrival_date), cast('1900-01-01' as date)) from {{ this }}
    ) - {{ var('realtime_lookback_days', 1) | int }}
    {%- endif %}
),
{% else %}
items as (
    -- no file in the lake yet: an empty relation with the right types
    select
        cast(null as varchar) as event_id,
        cast(null as varchar) as order_id,
        cast(null as integer) as order_item_id,
        cast(null as varchar) as product_id,
        cast(null as varchar) as product_category,
        cast(null as decimal(12, 2)) as price,
        cast(null as varchar) as customer_id,
        cast(null as varchar) as customer_unique_id,
        cast(null as varchar) as customer_city,
        cast(null as varchar) as customer_state,
        cast(null as varchar) as customer_zip_code_prefix,
        cast(null as timestamp) as purchased_at,
        cast(null as timestamp) as produced_at,
        cast(null as integer) as schema_version,
        cast(null as date) as arrival_date
    where 1 = 0
),
{% endif %}

ranked as (
    select
        items.*,
        row_number() over (partition by event_id, order_item_id order by arrival_date) as copy_number
    from items
    {%- if is_incremental() %}
    where not exists (select 1 from {{ this }} as loaded where loaded.event_id = items.event_id)
    {%- endif %}
)

select
    event_id || '-' || cast(order_item_id as varchar) as event_item_key,
    event_id,
    order_id,
    cast(order_item_id as integer) as order_item_id,
    product_id,
    product_category,
    cast(price as decimal(12, 2)) as price,
    customer_id,
    customer_unique_id,
    customer_city,
    customer_state,
    customer_zip_code_prefix,
    cast(purchased_at as timestamp) as purchased_at,
    cast(purchased_at as date) as purchase_date,
    cast(produced_at as timestamp) as produced_at,
    cast(schema_version as integer) as schema_version,
    arrival_date,
    cast({{ dbt.current_timestamp() }} as timestamp) as _loaded_at
from ranked
where copy_number = 1
