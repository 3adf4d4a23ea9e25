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
