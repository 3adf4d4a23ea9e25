-- One row per order item (order_id, order_item_id), with the order's context for slicing.
select
    cast(items.order_id as varchar(32)) as order_id,
    cast(items.order_item_id as integer) as order_item_id,
    cast(items.product_id as varchar(32)) as product_id,
    cast(items.seller_id as varchar(32)) as seller_id,
    cast(orders.customer_unique_id as varchar(32)) as customer_unique_id,
    cast(orders.customer_state as varchar(2)) as customer_state,
    cast(orders.order_status as varchar(32)) as order_status,
    cast(orders.purchased_at as timestamp) as purchased_at,
    cast(orders.purchase_date as date) as purchase_date,
    cast(items.shipping_limit_at as timestamp) as shipping_limit_at,
    cast(items.price as decimal(12, 2)) as price,
    cast(items.freight_value as decimal(12, 2)) as freight_value
from {{ ref('stg_olist__order_items') }} as items
inner join {{ ref('fct_orders') }} as orders
    on items.order_id = orders.order_id
