-- Sales per purchase month and product category (English, Portuguese fallback, or 'unknown'),
-- with the same order rules as daily_revenue_by_state.
select
    {{ olist.month_start('items.purchase_date') }} as sales_month,
    cast(products.product_category as varchar(256)) as product_category,
    cast(count(distinct items.order_id) as bigint) as total_orders,
    cast(count(*) as bigint) as items_sold,
    cast(sum(items.price) as decimal(18, 2)) as revenue
from {{ ref('fct_order_items') }} as items
inner join {{ ref('dim_products') }} as products
    on items.product_id = products.product_id
where items.order_status not in ({{ olist.excluded_statuses_sql() }})
group by {{ olist.month_start('items.purchase_date') }}, products.product_category
