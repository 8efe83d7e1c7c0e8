-- Settlements of the window whose lines do not add up to the deposit, to the cent, with the quarantined
-- lines of their file that explain the gap (a line whose amount we could not read is not in core).
WITH sums AS (
    SELECT settlement_id, count(*) AS lines, sum(amount) AS lines_total
    FROM core.settlement_lines
    GROUP BY settlement_id
),
held AS (
    SELECT record_key AS report_id, count(*) AS quarantined_lines,
           string_agg('line ' || line_number || ': ' || reason, '; ' ORDER BY line_number) AS quarantined
    FROM ops.quarantine
    WHERE source IN ('settlement_file', 'core_settlement_lines')
    GROUP BY record_key
)
SELECT
    s.settlement_id, s.report_id, s.currency, s.total_amount AS deposit, coalesce(m.lines_total, 0) AS lines_total,
    s.total_amount - coalesce(m.lines_total, 0) AS difference, coalesce(m.lines, 0) AS lines,
    coalesce(h.quarantined_lines, 0) AS quarantined_lines, h.quarantined
FROM core.settlements s
LEFT JOIN sums m USING (settlement_id)
LEFT JOIN held h USING (report_id)
WHERE s.end_date >= $start AND s.end_date < $end
  AND s.total_amount IS DISTINCT FROM coalesce(m.lines_total, 0)
