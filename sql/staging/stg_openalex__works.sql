-- model: stg_openalex__works
-- materialized: table
-- description: One row per landed work record (every version of every work), renamed and typed; nothing joined. Reads the normalized Parquet of every file the landing manifest lists (see sql/normalize/works.sql).
with source as (
    select *
    from read_parquet(getvariable('landing_works_parquet'), union_by_name = true)
),

final as (
    select * from source
)

select * from final
