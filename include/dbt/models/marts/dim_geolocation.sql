-- One row per zip prefix seen anywhere (geolocation, customers, sellers): not every customer's
-- prefix exists in the geolocation source; those rows have no coordinates (has_coordinates false).
with prefixes as (
    select zip_code_prefix from {{ ref('int_geolocations_aggregated_to_zip_prefixes') }}
    union
    select customer_zip_code_prefix from {{ ref('stg_olist__customers') }}
    union
    select seller_zip_code_prefix from {{ ref('stg_olist__sellers') }}
)

select
    cast(prefixes.zip_code_prefix as varchar(5)) as zip_code_prefix,
    cast(geo.city as varchar(256)) as city,
    cast(geo.state as varchar(2)) as state,
    cast(geo.latitude as double precision) as latitude,
    cast(geo.longitude as double precision) as longitude,
    geo.latitude is not null as has_coordinates,
    cast(coalesce(geo.point_count, 0) as integer) as point_count
from prefixes
left join {{ ref('int_geolocations_aggregated_to_zip_prefixes') }} as geo
    on prefixes.zip_code_prefix = geo.zip_code_prefix
where prefixes.zip_code_prefix is not null
