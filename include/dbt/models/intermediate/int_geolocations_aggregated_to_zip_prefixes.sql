-- A table, not a view: it aggregates ~1M rows and is read by dim_geolocation and several tests.
{{ config(materialized='table') }}

-- One row per zip prefix of the geolocation source. Coordinates: median of the points inside
-- Brazil's bounding box (the source has a few points abroad), null when none is inside.
-- City and state: the most frequent (normalised) spelling, ties broken alphabetically.
{%- set bbox = var('brazil_bounding_box') %}

with points as (
    select
        zip_code_prefix,
        city,
        state,
        case
            when latitude between {{ bbox.min_lat }} and {{ bbox.max_lat }}
                and longitude between {{ bbox.min_lng }} and {{ bbox.max_lng }}
                then true
            else false
        end as is_inside_brazil,
        latitude,
        longitude
    from {{ ref('stg_olist__geolocation') }}
),

-- Medians are computed one per query block: Redshift requires every sort-based aggregate
-- (MEDIAN, PERCENTILE_CONT) of a block to order by the same expression.
coordinates as (
    select
        zip_code_prefix,
        cast(count(*) as integer) as point_count,
        cast(sum(case when is_inside_brazil then 1 else 0 end) as integer) as points_inside_brazil,
        {{ olist.median('case when is_inside_brazil then latitude end') }} as median_latitude,
        avg(case when is_inside_brazil then latitude end) as avg_latitude,
        avg(case when is_inside_brazil then longitude end) as avg_longitude
    from points
    group by zip_code_prefix
),

longitudes as (
    select
        zip_code_prefix,
        {{ olist.median('case when is_inside_brazil then longitude end') }} as median_longitude
    from points
    group by zip_code_prefix
),

spellings as (
    select
        zip_code_prefix,
        city,
        state,
        row_number() over (
            partition by zip_code_prefix
            order by count(*) desc, city asc, state asc
        ) as frequency_rank
    from points
    where city is not null
    group by zip_code_prefix, city, state
)

select
    coordinates.zip_code_prefix,
    spellings.city,
    spellings.state,
    cast(coordinates.median_latitude as double precision) as latitude,
    cast(longitudes.median_longitude as double precision) as longitude,
    cast(coordinates.avg_latitude as double precision) as avg_latitude,
    cast(coordinates.avg_longitude as double precision) as avg_longitude,
    coordinates.point_count,
    coordinates.points_inside_brazil
from coordinates
inner join longitudes
    on coordinates.zip_code_prefix = longitudes.zip_code_prefix
left join spellings
    on coordinates.zip_code_prefix = spellings.zip_code_prefix
        and spellings.frequency_rank = 1
