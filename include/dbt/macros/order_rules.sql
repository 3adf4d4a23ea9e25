{#- Statuses whose orders never count as sales in the gold marts (var `excluded_order_statuses`). -#}
{% macro excluded_statuses_sql() -%}
    {%- for status in var('excluded_order_statuses') -%}
        '{{ status }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
