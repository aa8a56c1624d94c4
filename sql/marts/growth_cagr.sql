-- model: growth_cagr
-- description: Compound annual growth rate of each country's measures over each growth window (int_growth_windows: setting growth_windows, default the last 10 and 5 years to the last complete year), from the yearly values of growth_country_year; peers ranked. Headline: select country, cagr, rank_in_peers from growth_cagr where measure = 'works_international' and window_start = 2014 and window_end = 2024 order by rank_in_peers.
-- grain: country, measure, window_start, window_end
-- column country: ISO alpha-2 code.
-- column measure: As in growth_country_year: 'works_international', 'works_whole', 'works_fractional' or 'international_share'.
-- column window_start: First year of the window.
-- column window_end: Last year of the window.
-- column value_start: The measure in window_start (null when the country has no data yet that year).
-- column value_end: The measure in window_end.
-- column cagr: (value_end / value_start) ^ (1 / (window_end - window_start)) - 1; null when value_start is 0 or missing or value_end is missing.
-- column rank_in_peers: Rank of cagr among the peer set for this measure and window (1 = fastest growth; ties share the lower rank); null for non-peers and null cagr.
-- column is_peer: Whether country is in the peer set (setting peers).
-- column years: window_end - window_start, the number of yearly steps.
-- unique: country, measure, window_start, window_end
-- not_null: country, measure, window_start, window_end, is_peer
-- example: select country, cagr, rank_in_peers
-- example: from growth_cagr
-- example: where measure = 'works_international' and window_start = 2014 and window_end = 2024
-- example: order by rank_in_peers
with series as (
    select country, year, measure, value, is_peer from growth_country_year
),

windows as (
    select window_start, window_end from int_growth_windows
),

country_measures as (
    select distinct country, measure, is_peer from series
),

endpoints as (
    select
        country_measures.country,
        country_measures.measure,
        windows.window_start,
        windows.window_end,
        windows.window_end - windows.window_start as years,
        start_values.value as value_start,
        end_values.value as value_end,
        country_measures.is_peer,
    from country_measures
    cross join windows
    left join series as start_values
        on start_values.country = country_measures.country
        and start_values.measure = country_measures.measure
        and start_values.year = windows.window_start
    left join series as end_values
        on end_values.country = country_measures.country
        and end_values.measure = country_measures.measure
        and end_values.year = windows.window_end
    where start_values.value is not null or end_values.value is not null
),

growth as (
    select
        *,
        case
            when value_start > 0 and value_end is not null
                then power(value_end / value_start, 1.0 / years) - 1
        end as cagr,
    from endpoints
),

final as (
    select
        country,
        measure,
        window_start,
        window_end,
        value_start,
        value_end,
        cagr,
        case
            when is_peer and cagr is not null then rank() over (
                partition by measure, window_start, window_end, is_peer and cagr is not null
                order by cagr desc
            )
        end as rank_in_peers,
        is_peer,
        years,
    from growth
    order by measure, window_start, window_end, country
)

select * from final
