-- One row per order: totals of its items, freight and payments, and its delivery figures.
select
    cast(orders.order_id as varchar(32)) as order_id,
    cast(orders.customer_id as varchar(32)) as customer_id,
    cast(customers.customer_unique_id as varchar(32)) as customer_unique_id,
    cast(customers.customer_state as varchar(2)) as customer_state,
    cast(customers.customer_zip_code_prefix as varchar(5)) as customer_zip_code_prefix,
    cast(orders.order_status as varchar(32)) as order_status,
    cast(orders.purchased_at as timestamp) as purchased_at,
    {{ olist.to_date('orders.purchased_at') }} as purchase_date,
    cast(orders.approved_at as timestamp) as approved_at,
    cast(orders.delivered_to_carrier_at as timestamp) as delivered_to_carrier_at,
    cast(orders.delivered_at as timestamp) as delivered_at,
    cast(orders.estimated_delivery_at as timestamp) as estimated_delivery_at,
    cast(coalesce(items.item_count, 0) as integer) as item_count,
    cast(coalesce(items.seller_count, 0) as integer) as seller_count,
    cast(coalesce(items.items_total, 0) as decimal(18, 2)) as items_total,
    cast(coalesce(items.freight_total, 0) as decimal(18, 2)) as freight_total,
    cast(coalesce(items.items_total, 0) + coalesce(items.freight_total, 0) as decimal(18, 2)) as order_total,
    cast(coalesce(payments.payment_count, 0) as integer) as payment_count,
    cast(coalesce(payments.payment_total, 0) as decimal(18, 2)) as payment_total,
    cast(delivery.delivery_days as integer) as delivery_days,
    delivery.is_delivered,
    delivery.is_late,
    cast(reviews.review_score as integer) as review_score
from {{ ref('stg_olist__orders') }} as orders
left join {{ ref('stg_olist__customers') }} as customers
    on orders.customer_id = customers.customer_id
left join {{ ref('int_order_items_summed_to_orders') }} as items
    on orders.order_id = items.order_id
left join {{ ref('int_payments_summed_to_orders') }} as payments
    on orders.order_id = payments.order_id
left join {{ ref('int_orders_timed_for_delivery') }} as delivery
    on orders.order_id = delivery.order_id
left join {{ ref('int_reviews_deduplicated_to_orders') }} as reviews
    on orders.order_id = reviews.order_id
