-- Normalizes one landed works file (gzip JSON Lines) into typed columns; the build writes the
-- result as Parquet under landing/normalized/ (a cache keyed by the file's checksum and this
-- query), once per file, and stg_openalex__works reads those Parquet files. Not a model: the
-- runner calls it per file with the variables normalize_file (the JSON Lines to read) and
-- normalize_landed (the landed file, for provenance; a landed Parquet part is first written out
-- as JSON Lines by DuckDB, so every input goes through this one projection).
with source as (
    select *
    from read_json(
        getvariable('normalize_file'),
        format = 'newline_delimited',
        compression = 'gzip',
        maximum_object_size = 33554432,
        columns = {
            id: 'varchar',
            doi: 'varchar',
            publication_year: 'varchar',
            publication_date: 'varchar',
            type: 'varchar',
            type_crossref: 'varchar',
            is_retracted: 'varchar',
            is_paratext: 'varchar',
            updated_date: 'varchar',
            is_authors_truncated: 'varchar',
            countries_distinct_count: 'varchar',
            cited_by_count: 'varchar',
            fwci: 'varchar',
            citation_normalized_percentile: 'struct(
                value double, is_in_top_1_percent boolean, is_in_top_10_percent boolean)',
            primary_topic: 'struct(
                id varchar, display_name varchar,
                subfield struct(id varchar, display_name varchar),
                field struct(id varchar, display_name varchar),
                domain struct(id varchar, display_name varchar))',
            authorships: 'struct(
                author_position varchar,
                author struct(id varchar, display_name varchar, orcid varchar),
                countries varchar[],
                institutions struct(
                    id varchar, display_name varchar, country_code varchar, type varchar)[],
                raw_affiliation_string varchar,
                raw_affiliation_strings varchar[])[]'
        }
    )
),

renamed as (
    select
        nullif(regexp_replace(trim(id), '^https://openalex\.org/', ''), '') as work_id,
        id as raw_id,
        doi,
        try_cast(publication_year as integer) as publication_year,
        publication_year as raw_publication_year,
        try_cast(publication_date as date) as publication_date,
        lower(type) as type,
        lower(type_crossref) as type_crossref,
        coalesce(try_cast(is_retracted as boolean), false) as is_retracted,
        coalesce(try_cast(is_paratext as boolean), false) as is_paratext,
        try_cast(updated_date as timestamp) as updated_at,
        coalesce(try_cast(is_authors_truncated as boolean), false) as is_authors_truncated,
        try_cast(countries_distinct_count as integer) as countries_distinct_count,
        try_cast(cited_by_count as bigint) as cited_by_count,
        try_cast(fwci as double) as fwci,
        citation_normalized_percentile.value as citation_percentile,
        citation_normalized_percentile.is_in_top_1_percent as is_top_1_percent,
        citation_normalized_percentile.is_in_top_10_percent as is_top_10_percent,
        regexp_replace(primary_topic.id, '^https://openalex\.org/', '') as topic_id,
        primary_topic.display_name as topic_name,
        regexp_replace(primary_topic.field.id, '^https://openalex\.org/', '') as field_id,
        primary_topic.field.display_name as field_name,
        regexp_replace(primary_topic.domain.id, '^https://openalex\.org/', '') as domain_id,
        primary_topic.domain.display_name as domain_name,
        coalesce(authorships, []) as authorships,
        regexp_extract(getvariable('normalize_landed'), '/source=([^/]+)/', 1) as source,
        regexp_extract(getvariable('normalize_landed'), '/source=([^/]+)/', 1) = 'synthetic'
            as is_synthetic,
        getvariable('normalize_landed') as source_file,
    from source
),

final as (
    select * from renamed
)

select * from final
