-- Delivery figures of every order. An order counts as delivered when the customer's delivery
-- timestamp is known (whatever the status says); only then are delivery_days and is_late set.
-- Late means delivered on a later calendar day than the promised date (the promise is a date).
select
    order_id,
    delivered_at is not null as is_delivered,
    case
        when delivered_at is not null
            then {{ olist.days_between('purchased_at', 'delivered_at') }}
    end as delivery_days,
    case
        when delivered_at is not null
            then {{ olist.days_between('estimated_delivery_at', 'delivered_at') }} > 0
    end as is_late
from {{ ref('stg_olist__orders') }}
