-- Lines of the window whose (order_id, order_item_id) appears more than once.
SELECT order_id, order_item_id, count(*) AS copies
FROM core.order_lines
WHERE purchase_date >= $start AND purchase_date < $end
GROUP BY order_id, order_item_id
HAVING count(*) > 1
