-- Orders of the window with money that has no total: every order Amazon priced (all but pending and cancelled
-- ones, which Amazon sends without proceeds) has its order_total; NULL would read as "no money" in every sum.
SELECT order_id, marketplace_id, status, order_total, currency
FROM core.orders
WHERE purchase_date >= $start AND purchase_date < $end
  AND status NOT IN ('pending', 'cancelled')
  AND (order_total IS NULL OR currency IS NULL)
