{#- Versions of each `key` tile time from its first one on: every version is a non-empty range
    [valid_from, valid_to), each one starts where the one before it ends (no gap, no overlap), and the last
    (the current one) ends at var('history_end'). The first starts when the key first appeared (history_start
    for the first extract's rows). Fails for every version that breaks this. -#}
{% test contiguous_versions(model, key, valid_from='valid_from', valid_to='valid_to') %}
with versions as (
    select
        {{ key }} as version_of,
        {{ valid_from }} as range_start,
        {{ valid_to }} as range_end,
        lag({{ valid_to }}) over (partition by {{ key }} order by {{ valid_from }}) as previous_end,
        lead({{ valid_from }}) over (partition by {{ key }} order by {{ valid_from }}) as next_start
    from {{ model }}
)

select version_of, range_start, range_end, previous_end, next_start
from versions
where
    range_start >= range_end
    or (previous_end is not null and previous_end <> range_start)
    or (next_start is null and range_end <> cast('{{ var("history_end") }}' as timestamp))
{% endtest %}
