-- Orders of the window missing a value Zoho or the marts key on.
SELECT order_id, marketplace_id, purchase_ts, currency, status
FROM core.orders
WHERE purchase_date >= $start AND purchase_date < $end
  AND (order_id IS NULL OR marketplace_id IS NULL OR purchase_ts IS NULL OR currency IS NULL OR status IS NULL)
