-- One Zoho product per SKU sold in the window; price and title from the first marketplace that sells it.
CREATE OR REPLACE TEMP TABLE pending AS
SELECT
    p.sku AS record_key,
    json_object(
        'Product_Name', coalesce(p.title, p.sku),
        'Product_Code', p.sku,
        'Amazon_SKU', p.sku,
        'Amazon_ASIN', p.asin,
        'Unit_Price', p.latest_price
    ) AS payload,
    NULL::VARCHAR AS mapping_error
FROM (
    SELECT * FROM core.products
    WHERE sku IN (SELECT DISTINCT sku FROM core.order_lines WHERE purchase_date >= $start AND purchase_date < $end)
    QUALIFY row_number() OVER (PARTITION BY sku ORDER BY latest_price IS NULL, marketplace_id) = 1
) p;
