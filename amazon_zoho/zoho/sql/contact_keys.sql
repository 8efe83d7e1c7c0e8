-- The Zoho contact each order points at. Buyers with a (relay) email have a buyer_key; the others follow
-- mapping.yaml `buyers_without_email`: no contact (skip), one shared contact per marketplace, or one per
-- buyer keyed by a salted hash of name, postcode and country (orders without any buyer details then
-- fall back to the shared contact).
CREATE OR REPLACE TEMP TABLE order_contact AS
SELECT
    o.order_id,
    o.marketplace_id,
    o.sales_channel,
    o.purchase_date,
    o.purchase_ts,
    CASE
        WHEN o.buyer_key IS NOT NULL THEN o.buyer_key
        WHEN $policy = 'skip' THEN NULL
        WHEN $policy = 'per_buyer' AND nullif(trim(pc.buyer_name), '') IS NOT NULL THEN
            'fba-' || left(sha256($salt || ':' || lower(trim(pc.buyer_name)) || '|' || coalesce(upper(pc.postal_code), '')
                                  || '|' || coalesce(pc.country_code, '')), 20)
        ELSE 'amazon-customer-' || o.marketplace_id
    END AS contact_key
FROM core.orders o
LEFT JOIN pii.order_contacts pc USING (order_id);
