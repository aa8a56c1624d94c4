-- model: growth_country_year
-- description: Growth of each country's output against its peers, one row per country, publication year and measure (long format), from country_year. Years without works between a country's first year and the last year of the data are filled with 0 (the share is then null). value_ma3 is the 3-year trailing moving average (NISTEP practice); index_base rebases to the base year (setting base_year) = 100; rank_in_peers ranks the peer set (setting peers) per year and measure.
-- grain: country, year, measure
-- column country: ISO alpha-2 code (as in country_year).
-- column year: Publication year.
-- column measure: 'works_international', 'works_whole', 'works_fractional' or 'international_share' (the country_year column of the same name).
-- column value: The measure in this year (international_share is null when works_whole is 0).
-- column value_ma3: 3-year trailing moving average over years y-2..y; null until the country has 3 years; for international_share the ratio of the 3-year sums (sum of works_international / sum of works_whole), as NISTEP does.
-- column index_base: value / value in base_year * 100; null when the base-year value is 0 or missing.
-- column rank_in_peers: Rank of value among the peer set this year and measure (1 = highest; ties share the lower rank); null for non-peers and null values.
-- column is_peer: Whether country is in the peer set (setting peers).
-- column base_year: The base year of index_base (setting base_year).
-- column index_base_ma3: value_ma3 / value_ma3 in base_year * 100; null when that base is 0 or missing.
-- unique: country, year, measure
-- not_null: country, year, measure, is_peer, base_year
-- example: select country, year, value, value_ma3, index_base, rank_in_peers
-- example: from growth_country_year
-- example: where measure = 'works_international' and is_peer and year >= 2010
-- example: order by year, rank_in_peers
with country_years as (
    select * from country_year
),

peers as (
    select unnest(getvariable('peers')) as country
),

spans as (
    select
        country,
        min(year) as first_year,
    from country_years
    group by all
),

last_year as (
    select max(year) as last_year from country_years
),

grid as (
    select
        spans.country,
        unnest(range(spans.first_year, last_year.last_year + 1)) as year,
    from spans
    cross join last_year
),

dense as (
    select
        grid.country,
        grid.year,
        coalesce(country_years.works_whole, 0) as works_whole,
        coalesce(country_years.works_fractional, 0) as works_fractional,
        coalesce(country_years.works_international, 0) as works_international,
    from grid
    left join country_years using (country, year)
),

-- numerator / denominator so that one rule gives both moving averages: counts average their
-- three values (denominator 1 a year); the share divides the 3-year sums.
measures as (
    select
        country,
        year,
        'works_international' as measure,
        works_international::double as numerator,
        1.0 as denominator,
    from dense
    union all
    select country, year, 'works_whole', works_whole::double, 1.0 from dense
    union all
    select country, year, 'works_fractional', works_fractional::double, 1.0 from dense
    union all
    select
        country,
        year,
        'international_share',
        works_international::double,
        works_whole::double,
    from dense
),

moving as (
    select
        country,
        year,
        measure,
        case when denominator > 0 then numerator / denominator end as value,
        count(*) over last_3_years as years_in_window,
        sum(numerator) over last_3_years as numerator_3y,
        sum(denominator) over last_3_years as denominator_3y,
    from measures
    window last_3_years as (
        partition by country, measure
        order by year
        range between 2 preceding and current row
    )
),

averaged as (
    select
        country,
        year,
        measure,
        value,
        case
            when years_in_window = 3 and denominator_3y > 0 then numerator_3y / denominator_3y
        end as value_ma3,
    from moving
),

base as (
    select
        country,
        measure,
        value as base_value,
        value_ma3 as base_value_ma3,
    from averaged
    where year = getvariable('base_year')
),

indexed as (
    select
        averaged.*,
        case when base.base_value > 0 then averaged.value / base.base_value * 100 end
            as index_base,
        case when base.base_value_ma3 > 0 then averaged.value_ma3 / base.base_value_ma3 * 100 end
            as index_base_ma3,
        averaged.country in (select country from peers) as is_peer,
    from averaged
    left join base using (country, measure)
),

ranked as (
    select
        *,
        case
            when is_peer and value is not null then rank() over (
                partition by year, measure, is_peer and value is not null
                order by value desc
            )
        end as rank_in_peers,
    from indexed
),

final as (
    select
        country,
        year,
        measure,
        value,
        value_ma3,
        index_base,
        rank_in_peers,
        is_peer,
        getvariable('base_year')::integer as base_year,
        index_base_ma3,
    from ranked
    order by measure, country, year
)

select * from final
