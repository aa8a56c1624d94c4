-- model: impact_country_year
-- description: Citation impact of each country's works per publication year and collaboration type, from OpenAlex's citation_normalized_percentile (field-, year- and type-normalised percentile) and fwci. Whole counting; works missing a percentile or an FWCI are left out of that indicator's denominator and counted. Every country and year of country_year has all five collaboration rows (zeros when none).
-- grain: country, year, collaboration
-- column country: ISO alpha-2 code.
-- column year: Publication year.
-- column collaboration: 'all', 'domestic' (1 country), 'international' (2 or more), 'bilateral' (exactly 2) or 'multilateral' (3 or more countries).
-- column works: Whole count of the country's works of this collaboration type.
-- column works_with_percentile: Of works, those with citation_normalized_percentile.
-- column top10_share: works_top10 / works_with_percentile (null when 0); 0.10 is the world level on all of OpenAlex.
-- column top1_share: works_top1 / works_with_percentile (null when 0).
-- column works_with_fwci: Of works, those with an FWCI.
-- column mean_fwci: Mean FWCI over works_with_fwci (null when 0); 1 is the world level.
-- column works_missing_percentile: works - works_with_percentile.
-- column works_missing_fwci: works - works_with_fwci.
-- column works_top10: Of works_with_percentile, works with is_in_top_10_percent.
-- column works_top1: Of works_with_percentile, works with is_in_top_1_percent.
-- column top10_share_fractional: Like top10_share with author-level fractional weights (CWTS PP(top 10%) style): sum of weight of top-10% works / sum of weight of works with a percentile.
-- unique: country, year, collaboration
-- not_null: country, year, collaboration, works, works_with_percentile, works_with_fwci, works_missing_percentile, works_missing_fwci
-- example: select country, year, works, top10_share, mean_fwci, works_missing_percentile
-- example: from impact_country_year
-- example: where collaboration = 'international' and country in ('JP', 'US', 'CN')
-- example: order by country, year
with work_countries as (
    select work_id, year, country, fractional_weight, countries_in_work from int_work_countries
),

citations as (
    select
        work_id,
        is_top_10_percent,
        is_top_1_percent,
        fwci,
    from int_works_universe
),

country_years as (
    select country, year from country_year
),

collaborations as (
    select * from (
        values
            (1, 'all'),
            (2, 'domestic'),
            (3, 'international'),
            (4, 'bilateral'),
            (5, 'multilateral')
    ) as kinds (sort_order, collaboration)
),

works as (
    select
        work_countries.*,
        citations.is_top_10_percent is not null as has_percentile,
        coalesce(citations.is_top_10_percent, false) as is_top_10,
        coalesce(citations.is_top_1_percent, false) as is_top_1,
        citations.fwci,
    from work_countries
    join citations using (work_id)
),

by_collaboration as (
    select
        works.*,
        collaborations.collaboration,
    from works
    join collaborations
        on collaborations.collaboration = 'all'
        or (collaborations.collaboration = 'domestic' and works.countries_in_work = 1)
        or (collaborations.collaboration = 'international' and works.countries_in_work >= 2)
        or (collaborations.collaboration = 'bilateral' and works.countries_in_work = 2)
        or (collaborations.collaboration = 'multilateral' and works.countries_in_work >= 3)
),

aggregated as (
    select
        country,
        year,
        collaboration,
        count(*) as works,
        count(*) filter (where has_percentile) as works_with_percentile,
        count(*) filter (where has_percentile and is_top_10) as works_top10,
        count(*) filter (where has_percentile and is_top_1) as works_top1,
        sum(fractional_weight) filter (where has_percentile) as weight_with_percentile,
        sum(fractional_weight) filter (where has_percentile and is_top_10) as weight_top10,
        count(fwci) as works_with_fwci,
        avg(fwci) as mean_fwci,
    from by_collaboration
    group by all
),

completed as (
    select
        country_years.country,
        country_years.year,
        collaborations.collaboration,
        collaborations.sort_order,
        coalesce(aggregated.works, 0) as works,
        coalesce(aggregated.works_with_percentile, 0) as works_with_percentile,
        coalesce(aggregated.works_top10, 0) as works_top10,
        coalesce(aggregated.works_top1, 0) as works_top1,
        aggregated.weight_with_percentile,
        coalesce(aggregated.weight_top10, 0) as weight_top10,
        coalesce(aggregated.works_with_fwci, 0) as works_with_fwci,
        aggregated.mean_fwci,
    from country_years
    cross join collaborations
    left join aggregated using (country, year, collaboration)
),

final as (
    select
        country,
        year,
        collaboration,
        works,
        works_with_percentile,
        case when works_with_percentile > 0 then works_top10 / works_with_percentile end
            as top10_share,
        case when works_with_percentile > 0 then works_top1 / works_with_percentile end
            as top1_share,
        works_with_fwci,
        mean_fwci,
        works - works_with_percentile as works_missing_percentile,
        works - works_with_fwci as works_missing_fwci,
        works_top10,
        works_top1,
        case when weight_with_percentile > 0 then weight_top10 / weight_with_percentile end
            as top10_share_fractional,
    from completed
    order by country, year, sort_order
)

select * from final
