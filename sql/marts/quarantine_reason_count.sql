-- model: quarantine_reason_count
-- description: Quarantined landed records (see quarantine) counted by reason; `coauthor quality` prints it.
-- grain: reason
-- column reason: 'missing id', 'missing publication_year' or 'unusable publication_year'.
-- column records: Quarantined record versions with this reason.
-- column works: Distinct work ids among them (records without an id count as none).
-- unique: reason
-- not_null: reason, records, works
-- example: select reason, records, works
-- example: from quarantine_reason_count
-- example: order by records desc
with quarantined as (
    select * from quarantine
),

final as (
    select
        reason,
        count(*) as records,
        count(distinct work_id) as works,
    from quarantined
    group by all
    order by reason
)

select * from final
