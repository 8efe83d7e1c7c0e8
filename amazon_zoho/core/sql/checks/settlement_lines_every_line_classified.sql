-- Kinds of line the classification (core/sql/settlements.sql, line_class) does not recognise yet.
SELECT transaction_type, amount_type, amount_description, count(*) AS lines, sum(amount) AS amount
FROM core.settlement_lines
WHERE end_date >= $start AND end_date < $end AND (line_class = 'other' OR line_class IS NULL)
GROUP BY ALL
ORDER BY lines DESC
