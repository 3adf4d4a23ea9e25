select
    cast(seller_id as varchar(32)) as seller_id,
    lpad(trim(seller_zip_code_prefix), 5, '0') as seller_zip_code_prefix,
    {{ olist.normalise_text('seller_city') }} as seller_city,
    upper(trim(seller_state)) as seller_state
from {{ source('olist', 'sellers') }}
