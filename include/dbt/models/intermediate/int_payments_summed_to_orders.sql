-- One row per order that has payments (vouchers split one order into many payments).
select
    order_id,
    cast(count(*) as integer) as payment_count,
    cast(sum(payment_value) as decimal(18, 2)) as payment_total,
    cast(max(payment_installments) as integer) as max_installments
from {{ ref('stg_olist__order_payments') }}
group by order_id
