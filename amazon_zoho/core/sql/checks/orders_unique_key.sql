-- Orders of the window whose order_id appears more than once in core.orders.
SELECT order_id, count(*) AS copies
FROM core.orders
WHERE order_id IN (SELECT order_id FROM core.orders WHERE purchase_date >= $start AND purchase_date < $end)
GROUP BY order_id
HAVING count(*) > 1
