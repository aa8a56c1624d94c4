-- model: field_country_year
-- description: Works per OpenAlex field (of the work's primary_topic), country and publication year; same universe, country set and counting methods as country_year. Works without a primary topic (or whose topic has no field) are kept under field_id and domain_id 'unclassified', name 'Unclassified'.
-- grain: field_id, country, year
-- column domain_id: OpenAlex domain of the field ('domains/1'..'domains/4'), or 'unclassified'.
-- column domain_name: Domain name, e.g. 'Physical Sciences', or 'Unclassified'.
-- column field_id: OpenAlex field of the work's primary topic ('fields/11'..'fields/36'), or 'unclassified'.
-- column field_name: Field name, e.g. 'Computer Science', or 'Unclassified'.
-- column country: ISO alpha-2 code.
-- column year: Publication year.
-- column works_whole: Whole count: the field's works whose country set contains the country.
-- column works_fractional: Author-level fractional count, as in country_year.
-- column works_international: Whole count of those works with 2 or more countries.
-- column international_share: works_international / works_whole.
-- unique: field_id, country, year
-- not_null: domain_id, domain_name, field_id, field_name, country, year, works_whole, works_fractional, works_international, international_share
-- example: select field_name, year, works_international, international_share
-- example: from field_country_year
-- example: where country = 'JP'
-- example: order by field_name, year
with work_countries as (
    select work_id, year, country, fractional_weight, countries_in_work from int_work_countries
),

works as (
    select work_id, updated_at, field_id, field_name, domain_id, domain_name
    from int_works_universe
),

classified as (
    select
        work_id,
        updated_at,
        coalesce(nullif(trim(field_id), ''), 'unclassified') as field_id,
        case
            when nullif(trim(field_id), '') is null then 'unclassified'
            else coalesce(nullif(trim(domain_id), ''), 'unclassified')
        end as domain_id,
        field_name,
        domain_name,
    from works
),

-- one name per field and domain (the most recently updated record's), so a renamed field
-- never splits into two rows
field_names as (
    select
        field_id,
        coalesce(arg_max(domain_id, updated_at), max(domain_id)) as domain_id,
        coalesce(arg_max(field_name, updated_at), max(field_name), field_id) as field_name,
        coalesce(arg_max(domain_name, updated_at), max(domain_name), max(domain_id))
            as domain_name,
    from classified
    where field_id <> 'unclassified'
    group by field_id
    union all
    select
        'unclassified',
        'unclassified',
        'Unclassified',
        'Unclassified',
),

per_field as (
    select
        classified.field_id,
        work_countries.country,
        work_countries.year,
        count(*) as works_whole,
        sum(work_countries.fractional_weight) as works_fractional,
        count(*) filter (where work_countries.countries_in_work >= 2) as works_international,
    from work_countries
    join classified using (work_id)
    group by all
),

final as (
    select
        field_names.domain_id,
        field_names.domain_name,
        per_field.field_id,
        field_names.field_name,
        per_field.country,
        per_field.year,
        per_field.works_whole,
        per_field.works_fractional,
        per_field.works_international,
        per_field.works_international / per_field.works_whole as international_share,
    from per_field
    join field_names using (field_id)
    order by field_id, country, year
)

select * from final
