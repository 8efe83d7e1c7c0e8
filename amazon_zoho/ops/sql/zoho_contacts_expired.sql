-- Contacts we pushed to Zoho whose buyer details have all expired: no order of theirs keeps a pii.order_contacts
-- row (ops/sql/pii_retention.sql deleted them), so Zoho must not keep what it got from them either. The shared
-- per-marketplace contacts never carry a buyer's details. A contact cleared already waits until a push writes it
-- again (synced_at later than its scrub), as a new order brings new details with a retention of their own.
SELECT s.record_key, s.zoho_id
FROM ops.zoho_sync_state s
WHERE
    s.module = 'Contacts'
    AND s.zoho_id IS NOT NULL
    AND s.record_key NOT LIKE 'amazon-customer-%'
    AND s.record_key NOT IN (
        SELECT oc.contact_key
        FROM order_contact oc
        INNER JOIN pii.order_contacts pc ON oc.order_id = pc.order_id
        WHERE oc.contact_key IS NOT NULL
    )
    AND NOT EXISTS (
        SELECT 1 FROM ops.zoho_pii_scrubs x
        WHERE x.module = s.module AND x.record_key = s.record_key AND x.scrubbed_at >= s.synced_at
    )
ORDER BY s.record_key
