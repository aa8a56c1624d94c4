-- model: int_world_year
-- description: World totals per publication year: distinct universe works with at least one country, and of those the international ones (2 or more countries in the country set). The denominator of the NSF collaboration index.
with work_countries as (
    select * from int_work_countries
),

works as (
    select distinct
        work_id,
        year,
        countries_in_work,
    from work_countries
),

final as (
    select
        year,
        count(*) as works_with_country,
        count(*) filter (where countries_in_work >= 2) as works_international,
    from works
    group by all
)

select * from final
