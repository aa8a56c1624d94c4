-- model: int_authorship_country_codes
-- description: Every country code on every authorship of a universe work, as given (authorships[].countries and authorships[].institutions[].country_code), classified valid / invalid / null.
with works as (
    select work_id, publication_year, authorships from int_works_universe
),

countries as (
    select * from seed_countries
),

authorships as (
    select
        work_id,
        publication_year,
        unnest(authorships) as authorship,
        unnest(range(1, len(authorships) + 1)) as authorship_index,
    from works
),

from_countries as (
    select
        work_id,
        publication_year,
        authorship_index,
        unnest(authorship.countries) as raw_code,
        'countries' as via,
    from authorships
),

from_institutions as (
    select
        work_id,
        publication_year,
        authorship_index,
        unnest(list_transform(authorship.institutions, lambda i: i.country_code)) as raw_code,
        'institution' as via,
    from authorships
),

codes as (
    select * from from_countries
    union all
    select * from from_institutions
),

final as (
    select
        codes.*,
        upper(trim(codes.raw_code)) as country_code,
        case
            when codes.raw_code is null or trim(codes.raw_code) = '' then 'null'
            when countries.country is null then 'invalid'
            else 'valid'
        end as status,
    from codes
    left join countries on upper(trim(codes.raw_code)) = countries.country
)

select * from final
