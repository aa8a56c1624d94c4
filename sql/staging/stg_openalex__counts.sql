-- model: stg_openalex__counts
-- description: One row per count landed by counts mode (group_by answers of the OpenAlex API), typed.
with source as (
    select *
    from read_json(
        getvariable('landing_counts_files'),
        format = 'newline_delimited',
        compression = 'gzip',
        filename = true,
        columns = {
            kind: 'varchar',
            country: 'varchar',
            partner: 'varchar',
            year: 'integer',
            works: 'bigint',
            works_international: 'bigint',
            types: 'varchar[]',
            retrieved_at: 'timestamp'
        }
    )
),

final as (
    select
        kind,
        upper(country) as country,
        upper(partner) as partner,
        year,
        works,
        works_international,
        array_to_string(list_sort(types), ',') as types,
        retrieved_at,
        filename as source_file,
    from source
)

select * from final
