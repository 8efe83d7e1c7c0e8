-- Settlements of the window that appear more than once, or without a key, deposit or currency.
SELECT settlement_id, count(*) AS copies, any_value(total_amount) AS total_amount, any_value(currency) AS currency
FROM core.settlements
WHERE settlement_id IN (SELECT settlement_id FROM core.settlements WHERE end_date >= $start AND end_date < $end)
   OR settlement_id IS NULL
GROUP BY settlement_id
HAVING count(*) > 1 OR settlement_id IS NULL OR any_value(total_amount) IS NULL OR any_value(currency) IS NULL
