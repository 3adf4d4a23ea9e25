-- One row per version of a seller (SCD type 2 from the snapshot snap_olist_sellers), valid over
-- [valid_from, valid_to). dim_sellers stays the current state with its published columns.
select
    cast(dbt_scd_id as varchar(32)) as seller_version_key,
    cast(seller_id as varchar(32)) as seller_id,
    cast(seller_zip_code_prefix as varchar(5)) as seller_zip_code_prefix,
    cast(seller_city as varchar(256)) as seller_city,
    cast(seller_state as varchar(2)) as seller_state,
    cast(dbt_valid_from as timestamp) as valid_from,
    cast(coalesce(dbt_valid_to, cast('{{ var("history_end") }}' as timestamp)) as timestamp) as valid_to,
    dbt_valid_to is null as is_current
from {{ ref('snap_olist_sellers') }}
