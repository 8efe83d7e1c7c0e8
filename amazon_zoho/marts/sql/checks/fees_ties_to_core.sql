-- Settlements of the window whose fee total in the mart differs from their fee lines in core.
WITH core_fees AS (
    SELECT settlement_id, sum(amount) AS amount
    FROM core.settlement_lines
    WHERE end_date >= $start AND end_date < $end AND line_class IN ('fee', 'service_fee', 'subscription')
    GROUP BY settlement_id
),
mart_fees AS (
    SELECT settlement_id, sum(amount) AS amount FROM marts.fees WHERE end_date >= $start AND end_date < $end GROUP BY settlement_id
)
SELECT settlement_id, c.amount AS core_amount, m.amount AS mart_amount
FROM core_fees c
FULL OUTER JOIN mart_fees m USING (settlement_id)
WHERE c.amount IS DISTINCT FROM m.amount
