-- Lines of the window from another report than their settlement's: the same settlement listed under two report
-- ids would count twice. Each settlement's lines come from the one report core.settlements names.
SELECT l.settlement_id, s.report_id AS settlement_report, l.report_id AS line_report, count(*) AS lines, sum(l.amount) AS amount
FROM core.settlement_lines l
JOIN core.settlements s USING (settlement_id)
WHERE l.end_date >= $start AND l.end_date < $end AND l.report_id <> s.report_id
GROUP BY ALL
