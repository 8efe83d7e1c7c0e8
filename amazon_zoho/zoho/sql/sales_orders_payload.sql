-- Sales orders to push: the window's orders and those still owed to Zoho, with the Zoho Status from
-- mapping.yaml (`zoho_status_map`), line items pointing at the Zoho ids of their products, and the
-- delivery address as both shipping and billing address (Amazon shares no billing address).
-- An order we cannot build gets the reason in mapping_error and is dead-lettered before any call.
CREATE OR REPLACE TEMP TABLE source AS
WITH orders AS (
    SELECT o.*, oc.contact_key, m.zoho_status, m.amazon_status IS NOT NULL AS status_known
    FROM core.orders o
    JOIN order_contact oc USING (order_id)
    LEFT JOIN zoho_status_map m ON m.amazon_status = o.order_status
    WHERE ((o.purchase_date >= $start AND o.purchase_date < $end) OR o.order_id IN (SELECT record_key FROM backlog))
      AND NOT coalesce(m.skip, false)
),
lines AS (
    SELECT
        l.order_id,
        list({'product': p.zoho_id, 'sku': l.sku, 'title': l.title, 'quantity': l.quantity_ordered, 'unit_price': l.unit_price,
              'discount': abs(coalesce(l.promotion_discount, 0)), 'tax': coalesce(l.item_tax, 0)} ORDER BY l.order_item_id) AS line_items,
        list(l.order_item_id ORDER BY l.order_item_id) FILTER (WHERE l.sku IS NULL) AS lines_without_sku,
        list(l.sku ORDER BY l.order_item_id) FILTER (WHERE l.sku IS NOT NULL AND p.zoho_id IS NULL) AS unsynced_skus
    FROM core.order_lines l
    JOIN orders o USING (order_id)
    LEFT JOIN zoho_ids p ON p.module = 'Products' AND p.record_key = l.sku
    GROUP BY l.order_id
)
SELECT
    o.order_id AS record_key,
    o.order_id,
    'Amazon order ' || o.order_id AS subject,
    o.zoho_status AS status,
    o.order_status AS amazon_status,
    c.zoho_id AS contact,
    o.marketplace_id,
    o.sales_channel,
    CASE o.fulfillment_channel WHEN 'AFN' THEN 'FBA' WHEN 'MFN' THEN 'FBM' END AS fulfillment_channel,
    o.currency,
    o.purchase_date,
    o.order_total,
    nullif(concat_ws(', ', pc.address_line1, nullif(pc.address_line2, '')), '') AS ship_street,
    pc.city AS ship_city,
    pc.state AS ship_state,
    pc.postal_code AS ship_postal_code,
    pc.country_code AS ship_country,
    nullif(concat_ws(', ', pc.address_line1, nullif(pc.address_line2, '')), '') AS bill_street,
    pc.city AS bill_city,
    pc.state AS bill_state,
    pc.postal_code AS bill_postal_code,
    pc.country_code AS bill_country,
    l.line_items,
    CASE
        WHEN NOT o.status_known THEN 'Amazon status ' || coalesce(o.order_status, 'NULL') || ' has no Zoho Status in mapping.yaml (Sales_Orders.status)'
        WHEN o.currency IS NOT NULL AND NOT list_contains($currencies, o.currency)
            THEN 'currency ' || o.currency || ' is not enabled in Zoho (mapping.yaml currencies)'
        WHEN l.order_id IS NULL THEN 'order has no lines in core.order_lines'
        WHEN len(l.lines_without_sku) > 0 THEN 'order lines without a SKU: ' || array_to_string(l.lines_without_sku, ', ')
        WHEN len(l.unsynced_skus) > 0 THEN 'waiting for products not yet in Zoho: ' || array_to_string(l.unsynced_skus, ', ')
        WHEN o.contact_key IS NOT NULL AND c.zoho_id IS NULL THEN 'waiting for contact ' || o.contact_key || ' (not yet in Zoho)'
    END AS mapping_error
FROM orders o
LEFT JOIN lines l USING (order_id)
LEFT JOIN zoho_ids c ON c.module = 'Contacts' AND c.record_key = o.contact_key
LEFT JOIN pii.order_contacts pc USING (order_id);
