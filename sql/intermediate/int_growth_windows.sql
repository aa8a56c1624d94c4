-- model: int_growth_windows
-- materialized: table
-- description: The growth windows of growth_cagr, partner_window, field_growth and institution_rank: the setting growth_windows (COAUTHOR_GROWTH_WINDOWS) when it is set, otherwise the last 10 and the last 5 years ending at the last complete year (year of the latest updated_date of the landed works, minus 1).
with configured as (
    select
        unnest(getvariable('growth_windows')::integer[][]) as bounds,
),

latest_update as (
    select
        year(max(updated_at)) - 1 as last_complete_year,
    from int_works_latest
),

from_setting as (
    select
        bounds[1]::integer as window_start,
        bounds[2]::integer as window_end,
        'setting' as window_source,
    from configured
),

by_default as (
    select
        (latest_update.last_complete_year - lengths.years)::integer as window_start,
        latest_update.last_complete_year::integer as window_end,
        'default: last ' || lengths.years || ' years to the last complete year' as window_source,
    from latest_update
    cross join (values (10), (5)) as lengths (years)
    where latest_update.last_complete_year is not null
        and len(coalesce(getvariable('growth_windows'), [])) = 0
),

final as (
    select * from from_setting
    union all
    select * from by_default
)

select * from final
