-- The products of this extract with the time from which a new or changed row is valid
-- (the input of the snapshot snap_olist_products).
select
    products.product_id,
    products.product_category_name,
    products.product_name_length,
    products.product_description_length,
    products.product_photos_qty,
    products.product_weight_g,
    products.product_length_cm,
    products.product_height_cm,
    products.product_width_cm,
    dated.changes_valid_from
from {{ ref('stg_olist__products') }} as products
cross join {{ ref('int_extract_changes_dated') }} as dated
