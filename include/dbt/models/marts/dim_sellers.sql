select
    cast(seller_id as varchar(32)) as seller_id,
    cast(seller_zip_code_prefix as varchar(5)) as seller_zip_code_prefix,
    cast(seller_city as varchar(256)) as seller_city,
    cast(seller_state as varchar(2)) as seller_state
from {{ ref('stg_olist__sellers') }}
