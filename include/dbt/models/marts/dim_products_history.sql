-- One row per version of a product (SCD type 2 from the snapshot snap_olist_products), valid over
-- [valid_from, valid_to). The display category follows the same fallback as dim_products, with today's
-- translation. dim_products stays the current state with its published columns.
select
    cast(snap.dbt_scd_id as varchar(32)) as product_version_key,
    cast(snap.product_id as varchar(32)) as product_id,
    cast(
        coalesce(translation.product_category_name_english, snap.product_category_name, 'unknown') as varchar(256)
    ) as product_category,
    cast(snap.product_category_name as varchar(256)) as product_category_name_pt,
    cast(translation.product_category_name_english as varchar(256)) as product_category_name_en,
    cast(snap.product_name_length as integer) as product_name_length,
    cast(snap.product_description_length as integer) as product_description_length,
    cast(snap.product_photos_qty as integer) as product_photos_qty,
    cast(snap.product_weight_g as integer) as product_weight_g,
    cast(snap.product_length_cm as integer) as product_length_cm,
    cast(snap.product_height_cm as integer) as product_height_cm,
    cast(snap.product_width_cm as integer) as product_width_cm,
    cast(snap.dbt_valid_from as timestamp) as valid_from,
    cast(coalesce(snap.dbt_valid_to, cast('{{ var("history_end") }}' as timestamp)) as timestamp) as valid_to,
    snap.dbt_valid_to is null as is_current
from {{ ref('snap_olist_products') }} as snap
left join {{ ref('stg_olist__product_category_name_translation') }} as translation
    on snap.product_category_name = translation.product_category_name
