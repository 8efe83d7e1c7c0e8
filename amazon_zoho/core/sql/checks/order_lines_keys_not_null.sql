-- Lines of the window missing a key Zoho needs (the SKU is the Zoho product's unique field).
SELECT order_id, order_item_id, sku, currency
FROM core.order_lines
WHERE purchase_date >= $start AND purchase_date < $end
  AND (order_id IS NULL OR order_item_id IS NULL OR sku IS NULL OR currency IS NULL)
