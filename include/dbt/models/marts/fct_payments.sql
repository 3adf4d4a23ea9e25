-- One row per payment (order_id, payment_sequential).
select
    cast(payments.order_id as varchar(32)) as order_id,
    cast(payments.payment_sequential as integer) as payment_sequential,
    cast(payments.payment_type as varchar(32)) as payment_type,
    cast(payments.payment_installments as integer) as payment_installments,
    cast(payments.payment_value as decimal(12, 2)) as payment_value,
    cast(orders.purchase_date as date) as purchase_date
from {{ ref('stg_olist__order_payments') }} as payments
left join {{ ref('fct_orders') }} as orders
    on payments.order_id = orders.order_id
