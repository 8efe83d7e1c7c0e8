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
    AND NOT EXISTS (
        SELECT 1 FROM ops.zoho_pii_scrubs x
        WHERE x.module = s.module AND x.record_key = s.record_key AND x.scrubbed_at >= s.synced_at
    )
    -- Only a record whose last accepted payload carried a detail in one of the fields cleared ($fields): the hash of
    -- each field's JSON value (zoho/sql/classify_pending.sql field_hashes) is not that of null or "". A record pushed
    -- without details (an FBA order, an order already past the retention) costs no update. A record with no hashes
    -- (pushed before they were kept) is cleared, to be safe.
    AND (
        s.field_hashes IS NULL
        OR len(list_filter($fields, lambda f: coalesce(s.field_hashes[f], md5('null')) NOT IN (md5('null'), md5('""')))) > 0
    )
ORDER BY s.record_key
