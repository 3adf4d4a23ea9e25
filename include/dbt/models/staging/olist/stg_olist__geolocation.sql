select
    lpad(trim(geolocation_zip_code_prefix), 5, '0') as zip_code_prefix,
    cast(geolocation_lat as double precision) as latitude,
    cast(geolocation_lng as double precision) as longitude,
    {{ olist.normalise_text('geolocation_city') }} as city,
    upper(trim(geolocation_state)) as state
from {{ source('olist', 'geolocation') }}
