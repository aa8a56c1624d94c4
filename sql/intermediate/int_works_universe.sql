-- model: int_works_universe
-- description: Usable latest works inside the configured universe (types, retracted, paratext); legacy Crossref types mapped by seed_type_mapping.
with latest as (
    select * from int_works_latest
),

type_mapping as (
    select * from seed_type_mapping
),

usable as (
    select *
    from latest
    where publication_year between getvariable('min_year') and getvariable('max_year')
),

typed as (
    select
        usable.* exclude (type),
        usable.type as raw_type,
        coalesce(type_mapping.type, usable.type) as type,
    from usable
    left join type_mapping on usable.type = type_mapping.raw_type
),

final as (
    select *
    from typed
    where (list_contains(getvariable('universe_types'), '*')
            or list_contains(getvariable('universe_types'), type))
        and (getvariable('include_retracted') or not is_retracted)
        and (getvariable('include_paratext') or not is_paratext)
)

select * from final
