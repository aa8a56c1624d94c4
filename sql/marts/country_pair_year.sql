-- model: country_pair_year
-- description: Works co-authored by two countries per publication year (public contract); both directions stored, so (JP, US) and (US, JP) hold the same number. Whole counting, same universe and country set as country_year.
-- grain: country, partner, year
-- column country: ISO alpha-2 code of the first country.
-- column partner: ISO alpha-2 code of the partner country (never equal to country).
-- column year: Publication year.
-- column works: Works whose country set contains both country and partner.
-- unique: country, partner, year
-- not_null: country, partner, year, works
with work_countries as (
    select work_id, year, country from int_work_countries
),

pairs as (
    select
        a.country,
        b.country as partner,
        a.year,
        count(*) as works,
    from work_countries as a
    join work_countries as b
        on a.work_id = b.work_id
        and a.country <> b.country
    group by all
),

final as (
    select * from pairs
    order by country, partner, year
)

select * from final
