-- Consecutive settlement periods of a marketplace must touch (Amazon closes one as the next opens): a gap
-- between two archived periods is a settlement we never downloaded. While its report is younger than 90 days
-- it can still be fetched by running raw_settlements for the days its period may have ended on.
WITH periods AS (
    SELECT
        marketplace_id,
        report_id,
        period_start,
        lag(period_end) OVER (PARTITION BY marketplace_id ORDER BY period_start, period_end) AS previous_end,
        lag(report_id) OVER (PARTITION BY marketplace_id ORDER BY period_start, period_end) AS previous_report
    FROM raw.settlement_reports
    WHERE period_start IS NOT NULL AND period_end IS NOT NULL
)
SELECT
    marketplace_id,
    previous_report,
    report_id AS next_report,
    previous_end AS gap_start,
    period_start AS gap_end,
    -- The missing periods ended in (gap_start, gap_end]; the last of them was published just after gap_end.
    CAST(previous_end AS DATE) + 1 AS first_day,
    CAST(period_start AS DATE) AS last_day,
    period_start > CAST($retained_since AS TIMESTAMPTZ) AS still_fetchable
FROM periods
WHERE previous_end IS NOT NULL AND period_start > previous_end + INTERVAL 1 HOUR
ORDER BY marketplace_id, gap_start;
