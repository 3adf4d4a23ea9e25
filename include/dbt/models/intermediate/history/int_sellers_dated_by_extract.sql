-- The sellers of this extract with the time from which a new or changed row is valid
-- (the input of the snapshot snap_olist_sellers).
select
    sellers.seller_id,
    sellers.seller_zip_code_prefix,
    sellers.seller_city,
    sellers.seller_state,
    dated.changes_valid_from
from {{ ref('stg_olist__sellers') }} as sellers
cross join {{ ref('int_extract_changes_dated') }} as dated
