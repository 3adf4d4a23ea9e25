-- One row per person (customer_unique_id). The source gives a new customer_id to every order;
-- the mapping customer_id -> customer_unique_id lives in bridge_customer_ids (and on fct_orders).
select
    cast(customer_unique_id as varchar(32)) as customer_unique_id,
    cast(customer_zip_code_prefix as varchar(5)) as customer_zip_code_prefix,
    cast(customer_city as varchar(256)) as customer_city,
    cast(customer_state as varchar(2)) as customer_state,
    cast(customer_id_count as integer) as customer_id_count,
    cast(first_purchased_at as timestamp) as first_purchased_at,
    cast(last_purchased_at as timestamp) as last_purchased_at
from {{ ref('int_customers_grouped_by_person') }}
