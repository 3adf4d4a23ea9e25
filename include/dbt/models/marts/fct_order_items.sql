-- One row per order item (order_id, order_item_id), with the order's context for slicing, and the
-- versions of its product and seller valid when the order was placed (as-of join on purchased_at).
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
    cast(items.freight_value as decimal(12, 2)) as freight_value,
    cast(product_versions.product_version_key as varchar(32)) as product_version_key,
    cast(seller_versions.seller_version_key as varchar(32)) as seller_version_key
from {{ ref('stg_olist__order_items') }} as items
inner join {{ ref('fct_orders') }} as orders
    on items.order_id = orders.order_id
left join {{ ref('dim_products_history') }} as product_versions
    on items.product_id = product_versions.product_id
        and orders.purchased_at >= product_versions.valid_from
        and orders.purchased_at < product_versions.valid_to
left join {{ ref('dim_sellers_history') }} as seller_versions
    on items.seller_id = seller_versions.seller_id
        and orders.purchased_at >= seller_versions.valid_from
        and orders.purchased_at < seller_versions.valid_to
