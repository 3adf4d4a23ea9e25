-- One row per customer_id (one per order in the source) with the person it belongs to and the
-- delivery address given for that order.
select
    cast(customer_id as varchar(32)) as customer_id,
    cast(customer_unique_id as varchar(32)) as customer_unique_id,
    cast(customer_zip_code_prefix as varchar(5)) as customer_zip_code_prefix,
    cast(customer_city as varchar(256)) as customer_city,
    cast(customer_state as varchar(2)) as customer_state
from {{ ref('stg_olist__customers') }}
