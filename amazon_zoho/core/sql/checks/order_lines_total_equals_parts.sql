-- Lines whose line_total is not item + shipping + discount (+ tax where tax is added), to the cent.
-- Same proceeds semantics as orders_total_equals_lines.sql.
SELECT
    l.order_id, l.order_item_id, l.currency, l.line_total,
    coalesce(l.item_amount, 0) + coalesce(l.shipping, 0) + coalesce(l.promotion_discount, 0)
        + CASE WHEN o.prices_include_tax THEN 0 ELSE coalesce(l.item_tax, 0) END AS sum_of_parts
FROM core.order_lines l
JOIN core.orders o USING (order_id)
WHERE l.purchase_date >= $start AND l.purchase_date < $end
  AND l.line_total IS NOT NULL
  AND l.line_total <> coalesce(l.item_amount, 0) + coalesce(l.shipping, 0) + coalesce(l.promotion_discount, 0)
        + CASE WHEN o.prices_include_tax THEN 0 ELSE coalesce(l.item_tax, 0) END
