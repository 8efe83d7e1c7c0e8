-- Whether a Zoho record of the id map (ops.zoho_sync_state) still holds buyer details to clear in `fields`:
-- - not cleared since Zoho last accepted a payload for it (a scrub later than synced_at waits for the next push);
-- - its last accepted payload carried a detail in one of `fields`: the hash of each field's JSON value
--   (zoho/sql/classify_pending.sql field_hashes) is not that of null or "". A record pushed without details (an FBA
--   order, an order already past the retention) costs no update; one with no hashes (pushed before they were kept)
--   is cleared, to be safe.
-- Read by zoho_contacts_expired.sql and zoho_sales_orders_expired.sql.
CREATE OR REPLACE TEMP MACRO holds_details(of_module, of_key, accepted_at, value_hashes, fields) AS (
    NOT EXISTS (
        SELECT 1 FROM ops.zoho_pii_scrubs x
        WHERE x.module = of_module AND x.record_key = of_key AND x.scrubbed_at >= accepted_at
    )
    AND (
        value_hashes IS NULL
        OR len(list_filter(fields, lambda f: coalesce(value_hashes[f], md5('null')) NOT IN (md5('null'), md5('""')))) > 0
    )
);
