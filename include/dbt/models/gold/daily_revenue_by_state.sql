-- Revenue per purchase date and customer state. An order counts when it has at least one item and
-- its status is not canceled or unavailable; revenue is the sum of its items' prices (no freight).
with sold_items as (
    select
        purchase_date,
        customer_state,
        order_id,
        price
    from {{ ref('fct_order_items') }}
    where order_status not in ({{ olist.excluded_statuses_sql() }})
)

select
    cast(purchase_date as date) as order_date,
    cast(coalesce(customer_state, 'unknown') as varchar(16)) as customer_state,
    cast(count(distinct order_id) as bigint) as total_orders,
    cast(sum(price) as decimal(18, 2)) as daily_revenue
from sold_items
group by purchase_date, coalesce(customer_state, 'unknown')
