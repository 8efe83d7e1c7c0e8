-- Orders bought in the window that shipped inside a loaded settlement period, yet no settlement paid them.
SELECT order_id, marketplace_id, status, order_total, currency, shipped_ts, settled_through
FROM marts.unsettled_orders
WHERE purchase_date >= $start AND purchase_date < $end AND overdue
