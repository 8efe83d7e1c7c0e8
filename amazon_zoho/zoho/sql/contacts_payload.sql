-- Contacts for the buyers of the window. Merchant-fulfilled orders carry a buyer (relay) email; FBA
-- orders do not, and follow the shared-contact policy: one "Amazon Customer" contact per marketplace.
CREATE OR REPLACE TEMP TABLE pending AS
WITH buyers AS (
    SELECT
        c.buyer_key,
        arg_max(c.buyer_name, o.purchase_ts) AS buyer_name,
        arg_max(c.buyer_email, o.purchase_ts) AS buyer_email,
        arg_max(c.address_line1, o.purchase_ts) AS street,
        arg_max(c.city, o.purchase_ts) AS city,
        arg_max(c.state, o.purchase_ts) AS state,
        arg_max(c.postal_code, o.purchase_ts) AS postal_code,
        arg_max(c.country_code, o.purchase_ts) AS country
    FROM pii.order_contacts c
    JOIN core.orders o USING (order_id)
    WHERE c.buyer_key IS NOT NULL
      AND c.buyer_key IN (SELECT buyer_key FROM core.orders WHERE purchase_date >= $start AND purchase_date < $end)
    GROUP BY c.buyer_key
)
SELECT
    buyer_key AS record_key,
    json_object(
        'First_Name', CASE WHEN strpos(trim(buyer_name), ' ') > 0 THEN regexp_extract(trim(buyer_name), '^(.*)\s\S+$', 1) END,
        'Last_Name', coalesce(nullif(regexp_extract(trim(buyer_name), '(\S+)$', 1), ''), 'Amazon Buyer'),
        'Email', buyer_email,
        'Mailing_Street', street,
        'Mailing_City', city,
        'Mailing_State', state,
        'Mailing_Zip', postal_code,
        'Mailing_Country', country,
        'Amazon_Buyer_Key', buyer_key
    ) AS payload,
    NULL::VARCHAR AS mapping_error
FROM buyers
UNION ALL
SELECT DISTINCT
    'amazon-customer-' || o.marketplace_id,
    json_object('Last_Name', 'Amazon Customer (' || coalesce(o.sales_channel, o.marketplace_id) || ')',
                'Amazon_Buyer_Key', 'amazon-customer-' || o.marketplace_id),
    NULL::VARCHAR
FROM core.orders o
WHERE o.purchase_date >= $start AND o.purchase_date < $end AND o.buyer_key IS NULL;
