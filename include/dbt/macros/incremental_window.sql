{% macro incremental_window_start(date_column) -%}
    {#- The first day an incremental run re-reads: `realtime_lookback_days` before the newest `date_column`
        already in this model's table. none on a full refresh, at parse time or while the table is empty,
        where the model reads everything. -#}
    {%- if not (is_incremental() and execute) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set newest = run_query("select max(" ~ date_column ~ ") from " ~ this).columns[0].values()[0] -%}
    {%- if newest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(newest - modules.datetime.timedelta(days=var('realtime_lookback_days', 1) | int)) }}
{%- endmacro %}

{% macro incremental_new_rows_floor(relation, column, window_column, window_start) -%}
    {#- The smallest `column` among the rows of `relation` an incremental run reads (`window_column` from
        `window_start` on), looked up at compile time so the SQL can filter by it as a literal. none where
        there is no window (`window_start` none) or no such row. -#}
    {%- if window_start is none or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select min({{ column }}) from {{ relation }} where {{ window_column }} >= cast('{{ window_start }}' as date)
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}
