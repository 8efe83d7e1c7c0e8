-- Sales orders of the window with their line items pointing at the Zoho ids of products and contacts.
-- PENDING orders carry no prices yet (Amazon withholds them), so they wait for their next version.
CREATE OR REPLACE TEMP TABLE pending AS
WITH ids AS (
    SELECT module, record_key, zoho_id FROM ops.zoho_sync_state WHERE zoho_id IS NOT NULL
),
orders AS (
    SELECT o.*, coalesce(o.buyer_key, 'amazon-customer-' || o.marketplace_id) AS contact_key
    FROM core.orders o
    WHERE o.purchase_date >= $start AND o.purchase_date < $end AND o.order_status <> 'PENDING'
),
lines AS (
    SELECT
        l.order_id,
        list(json_object(
            'Product_Name', json_object('id', p.zoho_id),
            'Quantity', l.quantity_ordered,
            'List_Price', l.unit_price,
            'Discount', abs(coalesce(l.promotion_discount, 0)),
            'Tax', coalesce(l.item_tax, 0)
        ) ORDER BY l.order_item_id) AS items,
        list(l.sku ORDER BY l.order_item_id) FILTER (WHERE p.zoho_id IS NULL) AS unsynced_skus
    FROM core.order_lines l
    JOIN orders o USING (order_id)
    LEFT JOIN ids p ON p.module = 'Products' AND p.record_key = l.sku
    GROUP BY l.order_id
)
SELECT
    o.order_id AS record_key,
    json_object(
        'Subject', 'Amazon order ' || o.order_id,
        'Amazon_Order_ID', o.order_id,
        'Status', CASE o.order_status WHEN 'CANCELLED' THEN 'Cancelled' WHEN 'SHIPPED' THEN 'Delivered'
                                      WHEN 'UNFULFILLABLE' THEN 'Cancelled' ELSE 'Created' END,
        'Contact_Name', CASE WHEN c.zoho_id IS NOT NULL THEN json_object('id', c.zoho_id) END,
        'Ordered_Items', to_json(l.items),
        'Shipping_City', pc.city,
        'Shipping_State', pc.state,
        'Shipping_Code', pc.postal_code,
        'Shipping_Country', pc.country_code,
        'Amazon_Marketplace', o.marketplace_id,
        'Sales_Channel', o.sales_channel,
        'Fulfillment_Channel', CASE o.fulfillment_channel WHEN 'AFN' THEN 'FBA' WHEN 'MFN' THEN 'FBM' END,
        'Amazon_Order_Status', o.order_status,
        'Currency', o.currency
    ) AS payload,
    CASE
        WHEN l.order_id IS NULL THEN 'order has no lines in core.order_lines'
        WHEN len(l.unsynced_skus) > 0 THEN 'products not yet in Zoho: ' || array_to_string(l.unsynced_skus, ', ')
        WHEN c.zoho_id IS NULL THEN 'contact ' || o.contact_key || ' not yet in Zoho'
    END AS mapping_error
FROM orders o
LEFT JOIN lines l USING (order_id)
LEFT JOIN ids c ON c.module = 'Contacts' AND c.record_key = o.contact_key
LEFT JOIN pii.order_contacts pc USING (order_id);
