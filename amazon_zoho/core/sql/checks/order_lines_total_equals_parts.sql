-- Lines whose line_total is not item + shipping + gift wrap + COD fee + other charges + discount (+ tax where tax is
-- added), to the cent. Same proceeds semantics as orders_total_equals_lines.sql; a cancelled line is 0 throughout.
SELECT
    l.order_id, l.order_item_id, l.currency, l.line_total,
    coalesce(l.item_amount, 0) + coalesce(l.shipping, 0) + coalesce(l.gift_wrap, 0) + coalesce(l.cod_fee, 0)
        + coalesce(l.other_charges, 0) + coalesce(l.promotion_discount, 0)
        + CASE WHEN coalesce(o.prices_include_tax, false) THEN 0 ELSE coalesce(l.item_tax, 0) END AS sum_of_parts
FROM core.order_lines l
JOIN core.orders o USING (order_id)
WHERE l.purchase_date >= $start AND l.purchase_date < $end
  AND l.line_total IS NOT NULL
  AND l.line_total <> coalesce(l.item_amount, 0) + coalesce(l.shipping, 0) + coalesce(l.gift_wrap, 0) + coalesce(l.cod_fee, 0)
        + coalesce(l.other_charges, 0) + coalesce(l.promotion_discount, 0)
        + CASE WHEN coalesce(o.prices_include_tax, false) THEN 0 ELSE coalesce(l.item_tax, 0) END
