-- Lines of the window with a negative quantity (those orders belong in ops.quarantine, not core).
SELECT order_id, order_item_id, quantity_ordered, quantity_shipped
FROM core.order_lines
WHERE purchase_date >= $start AND purchase_date < $end
  AND (quantity_ordered < 0 OR quantity_shipped < 0)
