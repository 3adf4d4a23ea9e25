select
    cast(customer_id as varchar(32)) as customer_id,
    cast(customer_unique_id as varchar(32)) as customer_unique_id,
    lpad(trim(customer_zip_code_prefix), 5, '0') as customer_zip_code_prefix,
    {{ olist.normalise_text('customer_city') }} as customer_city,
    upper(trim(customer_state)) as customer_state
from {{ source('olist', 'customers') }}
