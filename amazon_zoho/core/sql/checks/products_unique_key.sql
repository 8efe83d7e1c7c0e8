-- Products that appear more than once per marketplace, or without a key.
SELECT sku, marketplace_id, count(*) AS copies
FROM core.products
GROUP BY sku, marketplace_id
HAVING count(*) > 1 OR sku IS NULL OR marketplace_id IS NULL
