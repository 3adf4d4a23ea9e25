-- Two paths to the same figure must agree: the gold daily revenue, summed over every day and state,
-- equals the items_total of the orders that count as sales in fct_orders (at least one item, status not
-- excluded). Returns a row when they differ.
with gold as (
    select
        coalesce(sum(daily_revenue), 0) as revenue,
        coalesce(sum(total_orders), 0) as orders
    from {{ ref('daily_revenue_by_state') }}
),

counted as (
    select
        coalesce(sum(items_total), 0) as revenue,
        count(*) as orders
    from {{ ref('fct_orders') }}
    where item_count > 0
        and order_status not in ({{ olist.excluded_statuses_sql() }})
)

select
    gold.revenue as gold_revenue,
    counted.revenue as counted_revenue,
    gold.orders as gold_orders,
    counted.orders as counted_orders
from gold
cross join counted
where gold.revenue <> counted.revenue
    or gold.orders <> counted.orders
