-- model: int_works_latest
-- description: The latest version of each work id: greatest updated_date, ties broken by the file landed last.
with works as (
    select * from stg_openalex__works
    where work_id is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by work_id
            order by updated_at desc nulls last, source_file desc
        ) as version_rank,
        count(*) over (partition by work_id) as versions_seen,
    from works
),

final as (
    select * exclude (version_rank)
    from ranked
    where version_rank = 1
)

select * from final
