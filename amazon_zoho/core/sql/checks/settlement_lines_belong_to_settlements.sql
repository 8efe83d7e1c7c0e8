-- Lines of the window without their settlement in core.settlements (its summary row was quarantined).
SELECT l.settlement_id, l.report_id, count(*) AS lines, sum(l.amount) AS amount
FROM core.settlement_lines l
LEFT JOIN core.settlements s USING (settlement_id)
WHERE l.end_date >= $start AND l.end_date < $end AND s.settlement_id IS NULL
GROUP BY ALL
