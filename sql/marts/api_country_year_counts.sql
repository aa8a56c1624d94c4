-- model: api_country_year_counts
-- description: National whole-count totals fetched with OpenAlex group_by (counts mode): cheap, for any number of countries, computed by OpenAlex over all its works (no authorship truncation, its own country assignment). The latest retrieval per country, year and type set wins.
-- grain: country, year, types
-- column country: ISO alpha-2 code (the authorships.countries filter).
-- column year: Publication year.
-- column types: Work types counted (comma list).
-- column works: Works with the country among authorships.countries (whole counting).
-- column works_international: Of those, works with countries_distinct_count > 1.
-- column international_share: works_international / works.
-- column retrieved_at: When OpenAlex was asked.
-- unique: country, year, types
-- not_null: country, year, works
with counts as (
    select * from stg_openalex__counts
    where kind = 'total'
),

latest as (
    select *
    from counts
    qualify row_number() over (
        partition by country, year, types order by retrieved_at desc, source_file desc
    ) = 1
),

final as (
    select
        country,
        year,
        types,
        works,
        works_international,
        case when works > 0 then works_international / works end as international_share,
        retrieved_at,
    from latest
    order by country, year
)

select * from final
