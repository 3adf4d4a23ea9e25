-- One row per person (customer_unique_id): the address of their latest order and their order span.
with customer_orders as (
    select
        customers.customer_unique_id,
        customers.customer_id,
        customers.customer_zip_code_prefix,
        customers.customer_city,
        customers.customer_state,
        orders.purchased_at,
        row_number() over (
            partition by customers.customer_unique_id
            order by orders.purchased_at desc nulls last, customers.customer_id asc
        ) as recency_rank
    from {{ ref('stg_olist__customers') }} as customers
    left join {{ ref('stg_olist__orders') }} as orders
        on customers.customer_id = orders.customer_id
),

spans as (
    select
        customer_unique_id,
        cast(count(distinct customer_id) as integer) as customer_id_count,
        min(purchased_at) as first_purchased_at,
        max(purchased_at) as last_purchased_at
    from customer_orders
    group by customer_unique_id
)

select
    latest.customer_unique_id,
    latest.customer_zip_code_prefix,
    latest.customer_city,
    latest.customer_state,
    spans.customer_id_count,
    spans.first_purchased_at,
    spans.last_purchased_at
from customer_orders as latest
inner join spans
    on latest.customer_unique_id = spans.customer_unique_id
where latest.recency_rank = 1
