-- One row describing this load's extract of the Olist files: its last purchase. The files are
-- current-state extracts with no change dates, so the extracts' last purchases date the changes the
-- snapshots find (snap_olist_extracts keeps one version per extract).
select
    cast('olist' as varchar(32)) as source_name,
    cast(max(purchased_at) as timestamp) as last_purchased_at
from {{ ref('stg_olist__orders') }}
