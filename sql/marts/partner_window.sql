-- model: partner_window
-- description: Each country's partner countries over each growth window (int_growth_windows), from the window's summed yearly counts (years window_start..window_end inclusive; a year without joint works adds 0 joint works but still adds the country's works), with the growth of joint works between the window's first and last year.
-- grain: country, partner, window_start, window_end
-- column country: ISO alpha-2 code of the country.
-- column partner: ISO alpha-2 code of the partner country.
-- column window_start: First year of the window.
-- column window_end: Last year of the window (inclusive).
-- column joint_works: Sum over the window's years of country_pair_year.works.
-- column partner_share_of_international: joint_works / the country's works_international summed over the window.
-- column joint_works_start: Joint works in window_start (0 when none).
-- column joint_works_end: Joint works in window_end (0 when none).
-- column joint_growth_cagr: (joint_works_end / joint_works_start) ^ (1 / (window_end - window_start)) - 1; null when joint_works_start is 0.
-- column salton_cosine: joint_works / sqrt(country works_whole summed * partner works_whole summed), all over the window.
-- column collaboration_index: NSF index over the window's sums: (joint_works / country international) / (partner international / world international).
-- column rank: Rank of partner by joint_works within country and window (ties broken by partner code).
-- column country_works_whole: The country's works_whole summed over the window.
-- column country_works_international: The country's works_international summed over the window.
-- column partner_works_whole: The partner's works_whole summed over the window.
-- column partner_works_international: The partner's works_international summed over the window.
-- column world_works_international: Distinct international works of the world summed over the window.
-- unique: country, partner, window_start, window_end
-- not_null: country, partner, window_start, window_end, joint_works, rank
-- example: select partner, joint_works, partner_share_of_international, joint_growth_cagr, collaboration_index
-- example: from partner_window
-- example: where country = 'JP' and window_start = 2014 and window_end = 2024 and rank <= 10
-- example: order by rank
with pairs as (
    select * from country_pair_year
),

country_years as (
    select country, year, works_whole, works_international from country_year
),

world as (
    select year, works_international from int_world_year
),

windows as (
    select window_start, window_end from int_growth_windows
),

pair_sums as (
    select
        pairs.country,
        pairs.partner,
        windows.window_start,
        windows.window_end,
        sum(pairs.works)::bigint as joint_works,
        coalesce(sum(pairs.works) filter (where pairs.year = windows.window_start), 0)::bigint
            as joint_works_start,
        coalesce(sum(pairs.works) filter (where pairs.year = windows.window_end), 0)::bigint
            as joint_works_end,
    from pairs
    join windows on pairs.year between windows.window_start and windows.window_end
    group by all
),

country_sums as (
    select
        country_years.country,
        windows.window_start,
        windows.window_end,
        sum(country_years.works_whole)::bigint as works_whole,
        sum(country_years.works_international)::bigint as works_international,
    from country_years
    join windows on country_years.year between windows.window_start and windows.window_end
    group by all
),

world_sums as (
    select
        windows.window_start,
        windows.window_end,
        sum(world.works_international)::bigint as works_international,
    from world
    join windows on world.year between windows.window_start and windows.window_end
    group by all
),

joined as (
    select
        pair_sums.*,
        own.works_whole as country_works_whole,
        own.works_international as country_works_international,
        other.works_whole as partner_works_whole,
        other.works_international as partner_works_international,
        world_sums.works_international as world_works_international,
    from pair_sums
    join country_sums as own
        on pair_sums.country = own.country
        and pair_sums.window_start = own.window_start
        and pair_sums.window_end = own.window_end
    join country_sums as other
        on pair_sums.partner = other.country
        and pair_sums.window_start = other.window_start
        and pair_sums.window_end = other.window_end
    join world_sums
        on pair_sums.window_start = world_sums.window_start
        and pair_sums.window_end = world_sums.window_end
),

final as (
    select
        country,
        partner,
        window_start,
        window_end,
        joint_works,
        joint_works / country_works_international as partner_share_of_international,
        joint_works_start,
        joint_works_end,
        case
            when joint_works_start > 0 then power(
                joint_works_end / joint_works_start, 1.0 / (window_end - window_start)
            ) - 1
        end as joint_growth_cagr,
        joint_works / sqrt(country_works_whole * partner_works_whole) as salton_cosine,
        (joint_works / country_works_international)
            / (partner_works_international / world_works_international) as collaboration_index,
        row_number() over (
            partition by country, window_start, window_end order by joint_works desc, partner
        ) as rank,
        country_works_whole,
        country_works_international,
        partner_works_whole,
        partner_works_international,
        world_works_international,
    from joined
    order by country, window_start, window_end, rank
)

select * from final
