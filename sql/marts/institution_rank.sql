-- model: institution_rank
-- description: Institutions of the focus country (setting focus_country) ranked by their internationally co-authored works over each growth window (int_growth_windows), with their top partner countries. An institution counts a work once however many of its authors it has (whole counting); the institution's country is its authorships[].institutions[].country_code (after the optional CN harmonisation).
-- grain: institution_id, window_start, window_end
-- column country: The focus country (ISO alpha-2).
-- column institution_id: OpenAlex institution id (I…).
-- column institution_name: Display name in the most recently updated work that names the institution.
-- column window_start: First year of the window.
-- column window_end: Last year of the window (inclusive).
-- column works_whole: Works in the window's years with an author affiliated to the institution.
-- column works_international: Of works_whole, works whose country set has 2 or more countries.
-- column international_share: works_international / works_whole.
-- column rank: Rank by works_international within the window (1 = most; ties broken by works_whole, then institution_id).
-- column top_partners: The 3 countries other than the focus country with the most joint works with the institution in the window, as 'US:12, CN:8, KR:5' (ties broken by country code); '' when none.
-- unique: institution_id, window_start, window_end
-- not_null: country, institution_id, window_start, window_end, works_whole, works_international, rank, top_partners
-- example: select rank, institution_name, works_international, international_share, top_partners
-- example: from institution_rank
-- example: where window_start = 2014 and window_end = 2024
-- example: order by rank
-- example: limit 20
with institutions as (
    select * from int_authorship_institutions
    where institution_id is not null
        and country = getvariable('focus_country')
),

work_countries as (
    select work_id, country, countries_in_work from int_work_countries
),

windows as (
    select window_start, window_end from int_growth_windows
),

names as (
    select
        institution_id,
        coalesce(arg_max(institution_name, updated_at), max(institution_name)) as institution_name,
    from institutions
    group by all
),

institution_works as (
    select distinct
        institutions.institution_id,
        windows.window_start,
        windows.window_end,
        institutions.work_id,
    from institutions
    join windows
        on institutions.publication_year between windows.window_start and windows.window_end
),

work_sizes as (
    select distinct work_id, countries_in_work from work_countries
),

counts as (
    select
        institution_works.institution_id,
        institution_works.window_start,
        institution_works.window_end,
        count(*) as works_whole,
        count(*) filter (where work_sizes.countries_in_work >= 2) as works_international,
    from institution_works
    join work_sizes using (work_id)
    group by all
),

partner_counts as (
    select
        institution_works.institution_id,
        institution_works.window_start,
        institution_works.window_end,
        work_countries.country as partner,
        count(*) as joint_works,
    from institution_works
    join work_countries using (work_id)
    where work_countries.country <> getvariable('focus_country')
    group by all
),

ranked_partners as (
    select
        *,
        row_number() over (
            partition by institution_id, window_start, window_end
            order by joint_works desc, partner
        ) as partner_rank,
    from partner_counts
),

top_partners as (
    select
        institution_id,
        window_start,
        window_end,
        string_agg(partner || ':' || joint_works, ', ' order by partner_rank) as top_partners,
    from ranked_partners
    where partner_rank <= 3
    group by all
),

final as (
    select
        getvariable('focus_country') as country,
        counts.institution_id,
        names.institution_name,
        counts.window_start,
        counts.window_end,
        counts.works_whole,
        counts.works_international,
        counts.works_international / counts.works_whole as international_share,
        row_number() over (
            partition by counts.window_start, counts.window_end
            order by counts.works_international desc, counts.works_whole desc, counts.institution_id
        ) as rank,
        coalesce(top_partners.top_partners, '') as top_partners,
    from counts
    join names using (institution_id)
    left join top_partners using (institution_id, window_start, window_end)
    order by counts.window_start, counts.window_end, rank
)

select * from final
