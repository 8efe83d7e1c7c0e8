-- Stretches of [$scan_from, $scan_to) that no lastUpdated scan in ops.order_update_scans covered, oldest first.
-- Gaps and islands: a gap opens where a scan starts after everything before it had ended.
WITH scans AS (
    SELECT greatest(updated_after, $scan_from) AS a, least(updated_before, $scan_to) AS b
    FROM ops.order_update_scans
    WHERE updated_before > $scan_from AND updated_after < $scan_to
),
edges AS (
    SELECT
        coalesce(max(b) OVER (ORDER BY a, b ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), CAST($scan_from AS TIMESTAMPTZ)) AS gap_start,
        a AS gap_end
    FROM scans
    UNION ALL
    SELECT coalesce((SELECT max(b) FROM scans), CAST($scan_from AS TIMESTAMPTZ)), CAST($scan_to AS TIMESTAMPTZ)
)
SELECT gap_start, gap_end FROM edges WHERE gap_end > gap_start ORDER BY gap_start;
