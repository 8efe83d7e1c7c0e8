-- Lines of the window's priced orders (all but pending and cancelled ones) without a line total or currency.
SELECT l.order_id, l.order_item_id, o.status, l.line_total, l.currency
FROM core.order_lines l
JOIN core.orders o USING (order_id)
WHERE l.purchase_date >= $start AND l.purchase_date < $end
  AND o.status NOT IN ('pending', 'cancelled')
  AND (l.line_total IS NULL OR l.currency IS NULL)
