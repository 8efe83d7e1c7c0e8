-- Customers and products are small and span all days: rebuilt whole from core each time, which keeps
-- them exact under any order of partition runs.
DELETE FROM core.customers;
INSERT INTO core.customers BY NAME
SELECT
    buyer_key,
    arg_min(marketplace_id, purchase_ts) AS marketplace_id,
    min(purchase_date) AS first_order_date,
    max(purchase_date) AS last_order_date,
    count(*)::INTEGER AS order_count
FROM core.orders
WHERE buyer_key IS NOT NULL
GROUP BY buyer_key;

DELETE FROM core.products;
INSERT INTO core.products BY NAME
SELECT
    l.sku,
    l.marketplace_id,
    arg_max(l.asin, o.purchase_ts) AS asin,
    arg_max(l.title, o.purchase_ts) AS title,
    arg_max(l.currency, o.purchase_ts) FILTER (WHERE l.unit_price IS NOT NULL) AS currency,
    arg_max(l.unit_price, o.purchase_ts) FILTER (WHERE l.unit_price IS NOT NULL) AS latest_price,
    max(l.purchase_date) AS last_sold_date
FROM core.order_lines l
JOIN core.orders o USING (order_id)
WHERE l.sku IS NOT NULL
GROUP BY l.sku, l.marketplace_id;
