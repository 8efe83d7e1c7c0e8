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
    AND holds_details(s.module, s.record_key, s.synced_at, s.field_hashes, $fields)
ORDER BY s.record_key
