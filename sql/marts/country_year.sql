-- model: country_year
-- description: Works per country and publication year (public contract). Universe: works of the configured types (default article and review; legacy journal-article and proceedings-article count as article), not retracted, not paratext, with a publication year. A work's country set is the union of authorships[].countries and authorships[].institutions[].country_code over its authorships (valid ISO 3166-1 alpha-2 only).
-- grain: country, year
-- column country: ISO 3166-1 alpha-2 code of the country (HK and MO folded into CN only when harmonise_cn is on).
-- column year: Publication year of the work.
-- column works_whole: Whole count: works whose country set contains the country.
-- column works_fractional: Author-level fractional count: each work weighs 1, split equally over its authorships that have a country, each authorship's part split equally over its countries.
-- column works_international: Whole count of the country's works with 2 or more countries.
-- column works_bilateral: Whole count of the country's works with exactly 2 countries.
-- column works_multilateral: Whole count of the country's works with 3 or more countries.
-- column works_domestic: Whole count of the country's works with this country only.
-- column international_share: works_international / works_whole.
-- column works_synthetic: Of works_whole, works from the bundled synthetic corpus (0 for real OpenAlex data).
-- unique: country, year
-- not_null: country, year, works_whole, works_fractional, international_share
with work_countries as (
    select * from int_work_countries
),

per_country as (
    select
        country,
        year,
        count(*) as works_whole,
        sum(fractional_weight) as works_fractional,
        count(*) filter (where countries_in_work >= 2) as works_international,
        count(*) filter (where countries_in_work = 2) as works_bilateral,
        count(*) filter (where countries_in_work >= 3) as works_multilateral,
        count(*) filter (where countries_in_work = 1) as works_domestic,
        count(*) filter (where is_synthetic) as works_synthetic,
    from work_countries
    group by all
),

final as (
    select
        country,
        year,
        works_whole,
        works_fractional,
        works_international,
        works_bilateral,
        works_multilateral,
        works_domestic,
        works_international / works_whole as international_share,
        works_synthetic,
    from per_country
    order by country, year
)

select * from final
