-- Sales orders we pushed to Zoho whose delivery address expired: their pii.order_contacts row is gone
-- (ops/sql/pii_retention.sql), while Zoho still holds the address the push sent (sales_orders_payload.sql). An
-- order never changed again is never pushed again, so its address is cleared here. One cleared already waits
-- until a push writes it again (synced_at later than its scrub).
SELECT
    s.record_key,
    s.zoho_id
FROM ops.zoho_sync_state s
WHERE
    s.module = 'Sales_Orders'
    AND s.zoho_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM pii.order_contacts pc WHERE pc.order_id = s.record_key)
    AND holds_details(s.module, s.record_key, s.synced_at, s.field_hashes, $fields)
ORDER BY s.record_key
