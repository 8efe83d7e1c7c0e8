-- Lines of the window whose order is not in core.orders, or is there under another partition.
SELECT l.order_id, l.order_item_id, l.purchase_date, o.purchase_date AS order_purchase_date
FROM core.order_lines l
LEFT JOIN core.orders o USING (order_id)
WHERE l.purchase_date >= $start AND l.purchase_date < $end
  AND (o.order_id IS NULL OR o.purchase_date <> l.purchase_date)
