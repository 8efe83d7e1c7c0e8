-- Settlement lines of orders we hold whose item code matches none of the order's lines.
SELECT settlement_id, report_id, line_number, order_id, order_item_code, sku, amount_description, amount
FROM marts.settlement_line_matches
WHERE matched_to = 'order' AND order_item_code IS NOT NULL
  AND settlement_id IN (SELECT settlement_id FROM core.settlements WHERE end_date >= $start AND end_date < $end)
