-- How fresh each purchase day's source is for a consumer whose upstream is `upstream`: raw.order_versions' newest
-- fetch when it is 'raw' (core_orders), else what that upstream's own build read (marts and Zoho read core). Read
-- both when finding late days (late_days.sql) and when recording a build (record_day_builds.sql).
CREATE OR REPLACE TEMP MACRO order_day_source(upstream) AS TABLE
SELECT
    purchase_date,
    max(fetched_at) AS through
FROM raw.order_versions
WHERE upstream = 'raw'
GROUP BY purchase_date
UNION ALL
SELECT
    purchase_date,
    raw_through AS through
FROM ops.order_day_builds
WHERE consumer = upstream;
