-- model: field_growth
-- description: Compound annual growth rate of each field's works per country over each growth window (int_growth_windows), for works_international and works_whole, from field_country_year. A field and country appear in a window when they have works in its first or last year; a missing year counts 0.
-- grain: field_id, country, measure, window_start, window_end
-- column field_id: OpenAlex field id, or 'unclassified'.
-- column field_name: Field name, or 'Unclassified'.
-- column country: ISO alpha-2 code.
-- column measure: 'works_international' or 'works_whole' (whole counting).
-- column window_start: First year of the window.
-- column window_end: Last year of the window.
-- column value_start: The measure in window_start (0 when the field has no works of the country that year).
-- column value_end: The measure in window_end (0 when none).
-- column cagr: (value_end / value_start) ^ (1 / (window_end - window_start)) - 1; null when value_start is 0.
-- column domain_id: OpenAlex domain id of the field, or 'unclassified'.
-- column domain_name: Domain name, or 'Unclassified'.
-- column is_peer: Whether country is in the peer set (setting peers).
-- unique: field_id, country, measure, window_start, window_end
-- not_null: field_id, field_name, country, measure, window_start, window_end, value_start, value_end, is_peer
-- example: select field_name, value_start, value_end, cagr
-- example: from field_growth
-- example: where country = 'JP' and measure = 'works_international'
-- example:     and window_start = 2014 and window_end = 2024
-- example: order by cagr desc nulls last
with fields as (
    select * from field_country_year
),

windows as (
    select window_start, window_end from int_growth_windows
),

peers as (
    select unnest(getvariable('peers')) as country
),

field_labels as (
    select distinct field_id, field_name, domain_id, domain_name from fields
),

endpoints as (
    select
        fields.field_id,
        fields.country,
        windows.window_start,
        windows.window_end,
        coalesce(sum(fields.works_international) filter (where fields.year = windows.window_start), 0)
            as international_start,
        coalesce(sum(fields.works_international) filter (where fields.year = windows.window_end), 0)
            as international_end,
        coalesce(sum(fields.works_whole) filter (where fields.year = windows.window_start), 0)
            as whole_start,
        coalesce(sum(fields.works_whole) filter (where fields.year = windows.window_end), 0)
            as whole_end,
    from fields
    join windows on fields.year in (windows.window_start, windows.window_end)
    group by all
),

measures as (
    select
        field_id,
        country,
        'works_international' as measure,
        window_start,
        window_end,
        international_start as value_start,
        international_end as value_end,
    from endpoints
    union all
    select field_id, country, 'works_whole', window_start, window_end, whole_start, whole_end
    from endpoints
),

final as (
    select
        measures.field_id,
        field_labels.field_name,
        measures.country,
        measures.measure,
        measures.window_start,
        measures.window_end,
        measures.value_start::bigint as value_start,
        measures.value_end::bigint as value_end,
        case
            when measures.value_start > 0 then power(
                measures.value_end / measures.value_start,
                1.0 / (measures.window_end - measures.window_start)
            ) - 1
        end as cagr,
        field_labels.domain_id,
        field_labels.domain_name,
        measures.country in (select country from peers) as is_peer,
    from measures
    join field_labels using (field_id)
    order by measures.measure, measures.field_id, measures.country, measures.window_start
)

select * from final
