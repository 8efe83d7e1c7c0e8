-- Buyers that appear more than once, or without a key.
SELECT buyer_key, count(*) AS copies
FROM core.customers
GROUP BY buyer_key
HAVING count(*) > 1 OR buyer_key IS NULL
