-- Contacts we pushed to Zoho whose buyer details have all expired: no pii.order_contacts row is left that leads
-- to them (ops/sql/pii_retention.sql deleted them), so Zoho must not keep what it got from them either. Expiry is
-- read from the pii rows alone, never from core.orders: an order quarantined out of core keeps its pii row (and
-- its retention clock), and its contact keeps its details. Each row's contact key is worked out as
-- zoho/sql/contact_keys.sql does (the buyer_key pii.order_contacts holds is core.orders.buyer_key; buyers without
-- one follow mapping.yaml `buyers_without_email`). The shared per-marketplace contacts never carry a buyer's
-- details. A contact cleared already waits until a push writes it again (synced_at later than its scrub), as a
-- new order brings new details with a retention of their own.
WITH live AS (
    SELECT
        CASE
            WHEN pc.buyer_key IS NOT NULL THEN pc.buyer_key
            WHEN $policy = 'per_buyer' AND nullif(trim(pc.buyer_name), '') IS NOT NULL
                THEN
                    'fba-' || left(sha256(
                        $salt || ':' || lower(trim(pc.buyer_name)) || '|' || coalesce(upper(pc.postal_code), '')
                        || '|' || coalesce(pc.country_code, '')
                    ), 20)
        END AS contact_key
    FROM pii.order_contacts pc
)

SELECT
    s.record_key,
    s.zoho_id
FROM ops.zoho_sync_state s
WHERE
    s.module = 'Contacts'
    AND s.zoho_id IS NOT NULL
    AND s.record_key NOT LIKE 'amazon-customer-%'
    AND s.record_key NOT IN (SELECT l.contact_key FROM live l WHERE l.contact_key IS NOT NULL)
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
