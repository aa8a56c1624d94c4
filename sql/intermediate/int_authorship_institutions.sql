-- model: int_authorship_institutions
-- description: One row per universe work, authorship and institution reference (authorships[].institutions[]): OpenAlex institution id (I…, null when unmatched), display name, the country code as given, and the country after validation against seed_countries and the optional CN harmonisation (null when not a valid code).
with works as (
    select work_id, publication_year, updated_at, authorships from int_works_universe
),

countries as (
    select * from seed_countries
),

harmonisation as (
    select * from seed_country_harmonisation
    where getvariable('harmonise_cn')
),

authorships as (
    select
        work_id,
        publication_year,
        updated_at,
        unnest(authorships) as authorship,
        unnest(range(1, len(authorships) + 1)) as authorship_index,
    from works
),

institutions as (
    select
        work_id,
        publication_year,
        updated_at,
        authorship_index,
        unnest(authorship.institutions) as institution,
    from authorships
),

cleaned as (
    select
        work_id,
        publication_year,
        updated_at,
        authorship_index,
        nullif(regexp_replace(trim(institution.id), '^https://openalex\.org/', ''), '')
            as institution_id,
        institution.display_name as institution_name,
        institution.type as institution_type,
        institution.country_code as raw_country_code,
        upper(trim(institution.country_code)) as country_code,
    from institutions
),

final as (
    select
        cleaned.*,
        case
            when countries.country is not null
                then coalesce(harmonisation.harmonised_country, countries.country)
        end as country,
    from cleaned
    left join countries on cleaned.country_code = countries.country
    left join harmonisation on cleaned.country_code = harmonisation.country
)

select * from final
