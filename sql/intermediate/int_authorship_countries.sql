-- model: int_authorship_countries
-- description: One row per universe work, authorship and valid country (after optional harmonisation), with where the country came from.
with codes as (
    select * from int_authorship_country_codes
    where status = 'valid'
),

harmonisation as (
    select * from seed_country_harmonisation
    where getvariable('harmonise_cn')
),

mapped as (
    select
        codes.work_id,
        codes.publication_year,
        codes.authorship_index,
        coalesce(harmonisation.harmonised_country, codes.country_code) as country,
        codes.via,
    from codes
    left join harmonisation on codes.country_code = harmonisation.country
),

final as (
    select
        work_id,
        publication_year,
        authorship_index,
        country,
        bool_or(via = 'institution') as via_institution,
        bool_or(via = 'countries') as via_countries,
    from mapped
    group by all
)

select * from final
