-- Products to push: every SKU sold in the window, and SKUs still owed to Zoho. Title, price and currency
-- come from the first marketplace that sells the SKU with a price. Columns are the mapping's sources.
CREATE OR REPLACE TEMP TABLE source AS
SELECT
    p.sku AS record_key,
    p.sku,
    p.asin,
    coalesce(p.title, p.sku) AS title,
    p.latest_price AS unit_price,
    p.currency,
    CASE WHEN p.currency IS NOT NULL AND NOT list_contains($currencies, p.currency)
         THEN 'currency ' || p.currency || ' is not enabled in Zoho (mapping.yaml currencies)' END AS mapping_error
FROM (
    SELECT * FROM core.products
    WHERE (sku IN (SELECT sku FROM core.order_lines WHERE purchase_date >= $start AND purchase_date < $end)
           OR sku IN (SELECT record_key FROM backlog))
      AND hash(sku) % $slices = $slice  -- this slice's products (sync.prepare)
    QUALIFY row_number() OVER (PARTITION BY sku ORDER BY latest_price IS NULL, marketplace_id) = 1
) p;
