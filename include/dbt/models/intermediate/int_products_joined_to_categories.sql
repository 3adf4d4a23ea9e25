-- Products with their display category: the English name, else the Portuguese name when the
-- category has no translation, else 'unknown' when the product has no category.
select
    products.product_id,
    products.product_category_name,
    translation.product_category_name_english,
    coalesce(
        translation.product_category_name_english,
        products.product_category_name,
        'unknown'
    ) as product_category,
    products.product_name_length,
    products.product_description_length,
    products.product_photos_qty,
    products.product_weight_g,
    products.product_length_cm,
    products.product_height_cm,
    products.product_width_cm
from {{ ref('stg_olist__products') }} as products
left join {{ ref('stg_olist__product_category_name_translation') }} as translation
    on products.product_category_name = translation.product_category_name
