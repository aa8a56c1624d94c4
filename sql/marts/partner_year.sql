-- model: partner_year
-- description: Each country's partner countries per publication year, from country_pair_year and country_year (whole counting): joint works, the partner's share of the country's international works, Salton's cosine and the NSF index of international collaboration; partners ranked by joint works. Both directions are stored.
-- grain: country, partner, year
-- column country: ISO alpha-2 code of the country.
-- column partner: ISO alpha-2 code of the partner country.
-- column year: Publication year.
-- column joint_works: Works whose country set holds both country and partner (country_pair_year.works).
-- column country_works_international: The country's works with 2 or more countries (country_year.works_international).
-- column partner_share_of_international: joint_works / country_works_international.
-- column salton_cosine: joint_works / sqrt(country_works_whole * partner_works_whole) (symmetric).
-- column collaboration_index: NSF index of international collaboration: (joint_works / country_works_international) / (partner_works_international / world_works_international); 1 = the partner's expected share of the country's international works.
-- column rank: Rank of partner by joint_works within country and year (1 = most joint works; ties broken by partner code).
-- column country_works_whole: The country's works (country_year.works_whole).
-- column partner_works_whole: The partner's works (country_year.works_whole).
-- column partner_works_international: The partner's works with 2 or more countries.
-- column world_works_international: Distinct works of the year with 2 or more countries (int_world_year).
-- unique: country, partner, year
-- not_null: country, partner, year, joint_works, country_works_international, rank
-- example: select partner, joint_works, partner_share_of_international, salton_cosine, collaboration_index
-- example: from partner_year
-- example: where country = 'JP' and year = 2022 and rank <= 10
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

joined as (
    select
        pairs.country,
        pairs.partner,
        pairs.year,
        pairs.works as joint_works,
        own.works_whole as country_works_whole,
        own.works_international as country_works_international,
        other.works_whole as partner_works_whole,
        other.works_international as partner_works_international,
        world.works_international as world_works_international,
    from pairs
    join country_years as own
        on pairs.country = own.country and pairs.year = own.year
    join country_years as other
        on pairs.partner = other.country and pairs.year = other.year
    join world on pairs.year = world.year
),

final as (
    select
        country,
        partner,
        year,
        joint_works,
        country_works_international,
        joint_works / country_works_international as partner_share_of_international,
        joint_works / sqrt(country_works_whole * partner_works_whole) as salton_cosine,
        (joint_works / country_works_international)
            / (partner_works_international / world_works_international) as collaboration_index,
        row_number() over (
            partition by country, year order by joint_works desc, partner
        ) as rank,
        country_works_whole,
        partner_works_whole,
        partner_works_international,
        world_works_international,
    from joined
    order by country, year, rank
)

select * from final
