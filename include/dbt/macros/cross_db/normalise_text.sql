{#- Lower-case, trimmed, accent-free text with single spaces: `  São  Paulo ` -> `sao paulo`.
    Used for city names, spelt several ways in the source. -#}
{% macro normalise_text(expression) -%}
    {{ return(adapter.dispatch('normalise_text', 'olist')(expression)) }}
{%- endmacro %}

{% macro default__normalise_text(expression) -%}
    nullif(trim(regexp_replace(
        translate(lower({{ expression }}),
            'áàâãäåéèêëíìîïóòôõöúùûüçñ',
            'aaaaaaeeeeiiiiooooouuuucn'),
        '[[:space:]]+', ' ', 'g')), '')
{%- endmacro %}

{% macro duckdb__normalise_text(expression) -%}
    nullif(trim(regexp_replace(strip_accents(lower({{ expression }})), '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- Redshift's regexp_replace replaces every match (its 4th argument is a position, not flags). -#}
{% macro redshift__normalise_text(expression) -%}
    nullif(trim(regexp_replace(
        translate(lower({{ expression }}),
            'áàâãäåéèêëíìîïóòôõöúùûüçñ',
            'aaaaaaeeeeiiiiooooouuuucn'),
        '[[:space:]]+', ' ')), '')
{%- endmacro %}
