{#- Reconciliation: sum(column) of the model equals sum(compare_column) of `compare_model`
    (to the cent: both sides are decimals). -#}
{% test sum_equal_to(model, column_name, compare_model, compare_column=none) %}
with actual as (
    select coalesce(sum({{ column_name }}), 0) as total from {{ model }}
),
expected as (
    select coalesce(sum({{ compare_column or column_name }}), 0) as total from {{ compare_model }}
)
select actual.total as actual_total, expected.total as expected_total
from actual
cross join expected
where actual.total <> expected.total
{% endtest %}
