-- $consumer built the days $days: each is recorded with how fresh its source was ($upstream, as in late_days.sql),
-- inside the build's own transaction, so what moves on later makes the day late again.
INSERT OR REPLACE INTO ops.order_day_builds (consumer, purchase_date, raw_through, run_id, built_at)
WITH source AS (
    SELECT purchase_date, max(fetched_at) AS through
    FROM raw.order_versions
    WHERE $upstream = 'raw'
    GROUP BY purchase_date
    UNION ALL
    SELECT purchase_date, raw_through AS through
    FROM ops.order_day_builds
    WHERE consumer = $upstream
),
built AS (
    SELECT DISTINCT unnest(CAST($days AS DATE[])) AS purchase_date
)
SELECT $consumer, b.purchase_date, s.through, $run_id, clock_now()
FROM built b
LEFT JOIN source s ON b.purchase_date = s.purchase_date
