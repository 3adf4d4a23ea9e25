-- Delivered orders per month of delivery and customer state: how long delivery took and how
-- often it kept the promised date. Delivered = status 'delivered' with a delivery timestamp.
select
    {{ olist.month_start('delivered_at') }} as delivery_month,
    cast(coalesce(customer_state, 'unknown') as varchar(16)) as customer_state,
    cast(count(*) as bigint) as delivered_orders,
    cast(avg(cast(delivery_days as double precision)) as double precision) as avg_delivery_days,
    cast(avg(case when is_late then 0.0 else 1.0 end) as double precision) as on_time_rate
from {{ ref('fct_orders') }}
where order_status = 'delivered'
    and delivered_at is not null
group by {{ olist.month_start('delivered_at') }}, coalesce(customer_state, 'unknown')
