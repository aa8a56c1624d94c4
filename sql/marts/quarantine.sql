-- model: quarantine
-- description: Landed records that cannot be used, with the reason; they are kept in the landing zone and counted in the run summary.
-- grain: one row per quarantined record version
-- column work_id: OpenAlex work id (W…) or null when the record has none.
-- column reason: 'missing id', 'missing publication_year' or 'unusable publication_year'.
-- column detail: The offending raw value, if any.
-- column source_file: Landed file that holds the record.
-- not_null: reason, source_file
with works as (
    select * from stg_openalex__works
),

latest as (
    select * from int_works_latest
),

missing_id as (
    select
        work_id,
        'missing id' as reason,
        raw_id as detail,
        source_file,
    from works
    where work_id is null
),

bad_year as (
    select
        work_id,
        case
            when raw_publication_year is null then 'missing publication_year'
            else 'unusable publication_year'
        end as reason,
        raw_publication_year as detail,
        source_file,
    from latest
    where publication_year is null
        or publication_year not between getvariable('min_year') and getvariable('max_year')
),

final as (
    select * from missing_id
    union all
    select * from bad_year
)

select * from final
