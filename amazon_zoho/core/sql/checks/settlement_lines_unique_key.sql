-- Lines of the window whose (report_id, line_number) appears more than once.
SELECT report_id, line_number, count(*) AS copies
FROM core.settlement_lines
WHERE end_date >= $start AND end_date < $end
GROUP BY report_id, line_number
HAVING count(*) > 1
