-- One row per seller. Sales figures use the same order rules as daily_revenue_by_state;
-- avg_review_score averages the latest review of each of those orders; late_delivery_rate is the
-- share of the seller's delivered orders that arrived after the promised date (null: none delivered).
with seller_orders as (
    select
        items.seller_id,
        items.order_id,
        cast(count(*) as bigint) as items_sold,
        sum(items.price) as revenue
    from {{ ref('fct_order_items') }} as items
    where items.order_status not in ({{ olist.excluded_statuses_sql() }})
    group by items.seller_id, items.order_id
),

per_seller as (
    select
        seller_orders.seller_id,
        count(*) as total_orders,
        sum(seller_orders.items_sold) as items_sold,
        sum(seller_orders.revenue) as revenue,
        avg(cast(orders.review_score as double precision)) as avg_review_score,
        avg(case when orders.is_late then 1.0 when not orders.is_late then 0.0 end) as late_delivery_rate
    from seller_orders
    inner join {{ ref('fct_orders') }} as orders
        on seller_orders.order_id = orders.order_id
    group by seller_orders.seller_id
)

select
    cast(sellers.seller_id as varchar(32)) as seller_id,
    cast(sellers.seller_state as varchar(2)) as seller_state,
    cast(coalesce(per_seller.total_orders, 0) as bigint) as total_orders,
    cast(coalesce(per_seller.items_sold, 0) as bigint) as items_sold,
    cast(coalesce(per_seller.revenue, 0) as decimal(18, 2)) as revenue,
    cast(per_seller.avg_review_score as double precision) as avg_review_score,
    cast(per_seller.late_delivery_rate as double precision) as late_delivery_rate
from {{ ref('dim_sellers') }} as sellers
left join per_seller
    on sellers.seller_id = per_seller.seller_id
