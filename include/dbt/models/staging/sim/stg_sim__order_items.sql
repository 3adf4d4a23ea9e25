{#- One row per item of each order event as delivered: unnested, renamed and typed, duplicates kept
    (a redelivered file repeats its events; fct_items_sold keeps each event once).

    A view: readers filter on arrival_date, the dt= folder the file landed in (a partition on both targets).
    With no file in the lake yet (the glob would fail) it is an empty relation of the same columns; the
    realtime run re-creates it every time, so the first file is picked up by the next run.

    Events the warehouse cannot read are left out here, on both targets: a schema_version other than the one
    of plugins/olist_dw/sim/order_event.schema.json (OLIST_SIM_SCHEMA_VERSION, passed by olist-dw and the
    DAGs), or a missing key or item field. Locally delivery dead-letters them before the lake
    (sim/dead_letter.py); on AWS, Firehose's Parquet conversion writes whatever the stream carries (a missing
    field becomes null), so this filter is the only one they meet. -#}
{%- set accepted_version = env_var('OLIST_SIM_SCHEMA_VERSION', '') -%}
{%- if execute and not accepted_version -%}
    {{ exceptions.raise_compiler_error(
        "OLIST_SIM_SCHEMA_VERSION is not set: run dbt through `olist-dw dbt ...` (or the DAGs), which pass the "
        ~ "schema_version of plugins/olist_dw/sim/order_event.schema.json") }}
{%- endif %}

with

{% if olist.sim_lake_has_files() %}
source as (
    select
        o.event_id,
        o.order_id,
        -- noqa: disable=RF01
        -- i is the item (macros/sim_lake.sql): on DuckDB a struct column of the unnested list, which sqlfluff
        -- takes for a table missing from FROM; on Redshift a row of o.items.
        i.order_item_id,
        i.product_id,
        i.product_category,
        i.price,
        -- noqa: enable=RF01
        o.customer_id,
        o.customer_unique_id,
        o.customer_city,
        o.customer_state,
        o.customer_zip_code_prefix,
        o.purchased_at,
        o.produced_at,
        o.schema_version,
        cast(o.dt as date) as arrival_date
    from {{ olist.from_sim_order_items(source('sim', 'orders'), 'o', 'i') }}
    where
        o.schema_version = {{ accepted_version or 0 }}
        and o.event_id is not null
        and o.order_id is not null
        and o.customer_id is not null
        and o.purchased_at is not null
        and i.order_item_id is not null  -- noqa: RF01
        and i.product_id is not null  -- noqa: RF01
        and i.price is not null  -- noqa: RF01
),
{% else %}
source as (
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

renamed as (
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
        arrival_date
    from source
)

select * from renamed
