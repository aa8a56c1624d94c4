-- model: api_country_pair_year_counts
-- description: Partner countries of each harvested country per year from OpenAlex group_by=authorships.countries (counts mode); one direction per fetched country (fetch both countries to get both directions). Latest retrieval wins.
-- grain: country, partner, year, types
-- column country: The country whose works were grouped.
-- column partner: A co-authoring country.
-- column year: Publication year.
-- column types: Work types counted (comma list).
-- column works: Works with both country and partner among authorships.countries.
-- column retrieved_at: When OpenAlex was asked.
-- unique: country, partner, year, types
-- not_null: country, partner, year, works
with counts as (
    select * from stg_openalex__counts
    where kind = 'partner'
),

latest_files as (
    select
        country,
        year,
        types,
        arg_max(source_file, retrieved_at) as source_file,
    from counts
    group by all
),

final as (
    select
        counts.country,
        counts.partner,
        counts.year,
        counts.types,
        counts.works,
        counts.retrieved_at,
    from counts
    join latest_files using (country, year, types, source_file)
    order by counts.country, counts.partner, counts.year
)

select * from final
