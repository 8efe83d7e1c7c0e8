-- $consumer built the days $days: each is recorded with how fresh its source was (day_sources.sql),
-- inside the build's own transaction, so what moves on later makes the day late again.
INSERT OR REPLACE INTO ops.order_day_builds (consumer, purchase_date, raw_through, run_id, built_at)
WITH built AS (
    SELECT DISTINCT unnest(CAST($days AS DATE[])) AS purchase_date
)
SELECT $consumer, b.purchase_date, s.through, $run_id, clock_now()
FROM built b
LEFT JOIN order_day_source($upstream) s ON b.purchase_date = s.purchase_date
