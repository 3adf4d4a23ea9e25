{#- Fails for every row whose value is not one of Brazil's 27 state codes (nulls pass: pair with not_null).
    The codes come from the source contract (plugins/olist_dw/olist_sources.json), which olist-dw passes to
    dbt as OLIST_BRAZIL_STATES: run dbt through `olist-dw dbt` or the DAGs. -#}
{% test brazil_state(model, column_name) %}
{%- set states = env_var('OLIST_BRAZIL_STATES', '').split(',') | reject('equalto', '') | list -%}
{%- if execute and not states -%}
    {{ exceptions.raise_compiler_error(
        "OLIST_BRAZIL_STATES is not set: run dbt through `olist-dw dbt ...` (or the DAGs), which pass the "
        ~ "state codes of plugins/olist_dw/olist_sources.json") }}
{%- endif -%}
select {{ column_name }} as unknown_state
from {{ model }}
where {{ column_name }} not in ({% for state in states %}'{{ state }}'{{ ", " if not loop.last }}{% endfor %})
{% endtest %}
