-- When a change first seen in this extract became valid: one second after the previous extract's last
-- purchase (the old values were still true then, the new ones are true by this extract), or the start of
-- history for the first extract. Every order of the previous extract keeps the old version; every later
-- order gets the new one. Extracts are expected in order: one whose last purchase is older than a loaded
-- one dates its changes after the newest loaded extract before it.
with

this_extract as (
    select last_purchased_at from {{ ref('int_orders_summarised_to_extract') }}
),

previous_extract as (
    select max(extracts.last_purchased_at) as last_purchased_at
    from {{ ref('snap_olist_extracts') }} as extracts
    cross join this_extract
    where extracts.last_purchased_at < this_extract.last_purchased_at
)

select
    cast(this_extract.last_purchased_at as timestamp) as last_purchased_at,
    cast(previous_extract.last_purchased_at as timestamp) as previous_last_purchased_at,
    cast(
        coalesce(
            {{ dbt.dateadd('second', 1, 'previous_extract.last_purchased_at') }},
            cast('{{ var("history_start") }}' as timestamp)
        ) as timestamp
    ) as changes_valid_from
from this_extract
cross join previous_extract
