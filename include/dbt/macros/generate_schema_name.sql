{#- Use the folder's schema name as-is (`marts`, not `main_marts`): the BI grants and the
    dashboard name these schemas directly on both targets.
    On Redshift the batch builds the published schemas (var `blue_green_schemas`) under a suffix
    (OLIST_DBT_SCHEMA_SUFFIX, `__build`, set by olist_dw.cosmos_config) and the publish task swaps them in
    by renaming, so readers never see a half-built or untested mart. Locally the suffix is empty: the
    publish step snapshots into a separate serving file instead. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base = target.schema if custom_schema_name is none else custom_schema_name | trim -%}
    {%- if base in var('blue_green_schemas', ['marts', 'gold']) -%}
        {{ base }}{{ env_var('OLIST_DBT_SCHEMA_SUFFIX', '') }}
    {%- else -%}
        {{ base }}
    {%- endif -%}
{%- endmacro %}
