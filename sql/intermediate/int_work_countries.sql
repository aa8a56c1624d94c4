-- model: int_work_countries
-- materialized: table
-- description: One row per universe work and country in its country set, with the work's author-level fractional weight for that country and the size of its country set.
with authorship_countries as (
    select * from int_authorship_countries
),

works as (
    select work_id, is_synthetic from int_works_universe
),

authorship_sizes as (
    select
        work_id,
        authorship_index,
        count(*) as countries_on_authorship,
    from authorship_countries
    group by all
),

work_sizes as (
    select
        work_id,
        count(*) as authorships_with_country,
    from authorship_sizes
    group by all
),

weighted as (
    select
        authorship_countries.work_id,
        authorship_countries.publication_year,
        authorship_countries.country,
        1.0 / (work_sizes.authorships_with_country
            * authorship_sizes.countries_on_authorship) as part,
    from authorship_countries
    join authorship_sizes using (work_id, authorship_index)
    join work_sizes using (work_id)
),

per_country as (
    select
        work_id,
        publication_year as year,
        country,
        sum(part) as fractional_weight,
    from weighted
    group by all
),

final as (
    select
        per_country.*,
        count(*) over (partition by per_country.work_id) as countries_in_work,
        works.is_synthetic,
    from per_country
    join works using (work_id)
)

select * from final
