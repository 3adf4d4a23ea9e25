-- One row per order that has items: what the items and their freight add up to.
select
    order_id,
    cast(count(*) as integer) as item_count,
    cast(count(distinct seller_id) as integer) as seller_count,
    cast(sum(price) as decimal(18, 2)) as items_total,
    cast(sum(freight_value) as decimal(18, 2)) as freight_total
from {{ ref('stg_olist__order_items') }}
group by order_id
