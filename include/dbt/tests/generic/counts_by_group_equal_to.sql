{#- Reconciliation: row counts per value of `column_name` equal those of `compare_column` in
    `compare_model` (e.g. orders by status in the mart and in the raw table). Fails per differing group. -#}
{% test counts_by_group_equal_to(model, column_name, compare_model, compare_column=none) %}
with actual as (
    select {{ column_name }} as group_value, count(*) as row_count
    from {{ model }}
    group by {{ column_name }}
),
expected as (
    select {{ compare_column or column_name }} as group_value, count(*) as row_count
    from {{ compare_model }}
    group by {{ compare_column or column_name }}
)
select
    coalesce(actual.group_value, expected.group_value) as group_value,
    actual.row_count as actual_rows,
    expected.row_count as expected_rows
from actual
full outer join expected
    on actual.group_value = expected.group_value
where actual.row_count is null
    or expected.row_count is null
    or actual.row_count <> expected.row_count
{% endtest %}
