-- Contacts to push: the contacts of the window's orders (see contact_keys.sql), and contacts still owed
-- to Zoho. Name, email and mailing address come from the contact's latest order that has them; first and
-- last order span all of the contact's orders. Columns are the mapping's sources. Ties on the purchase
-- time (a cart split across two addresses) go to the greater order id, so the payload and its hash do not
-- depend on the order rows were read in.
CREATE OR REPLACE TEMP TABLE source AS
WITH wanted AS (
    SELECT contact_key FROM order_contact
    WHERE contact_key IS NOT NULL AND purchase_date >= $start AND purchase_date < $end
    UNION
    SELECT record_key FROM backlog
),
contacts AS (
    SELECT
        oc.contact_key,
        oc.contact_key LIKE 'amazon-customer-%' AS shared,
        arg_min(oc.marketplace_id, (oc.purchase_ts, oc.order_id)) AS marketplace_id,
        arg_min(oc.sales_channel, (oc.purchase_ts, oc.order_id)) AS sales_channel,
        -- Whitespace runs (a newline or tab inside a name, as buyers type them) become one space: the first and
        -- last name are split at the last space, and RE2's `.` does not match a newline.
        arg_max(trim(regexp_replace(pc.buyer_name, '\s+', ' ', 'g')), (oc.purchase_ts, oc.order_id))
            FILTER (WHERE nullif(trim(pc.buyer_name), '') IS NOT NULL) AS buyer_name,
        arg_max(pc.buyer_email, (oc.purchase_ts, oc.order_id)) FILTER (WHERE pc.buyer_email IS NOT NULL) AS email,
        arg_max({'street': concat_ws(', ', pc.address_line1, nullif(pc.address_line2, '')), 'city': pc.city, 'state': pc.state,
                 'postal_code': pc.postal_code, 'country': pc.country_code}, (oc.purchase_ts, oc.order_id))
            FILTER (WHERE pc.address_line1 IS NOT NULL OR pc.city IS NOT NULL) AS address,
        min(oc.purchase_date) AS first_order_date,
        max(oc.purchase_date) AS last_order_date,
        count(*) AS order_count
    FROM order_contact oc
    LEFT JOIN pii.order_contacts pc USING (order_id)
    WHERE oc.contact_key IN (SELECT contact_key FROM wanted)
      AND hash(oc.contact_key) % $slices = $slice  -- this slice's contacts (sync.prepare)
    GROUP BY oc.contact_key
)
SELECT
    contact_key AS record_key,
    contact_key AS buyer_key,
    CASE WHEN NOT shared AND strpos(buyer_name, ' ') > 0 THEN regexp_extract(buyer_name, '^(.*)\s\S+$', 1) END AS first_name,
    CASE WHEN shared THEN 'Amazon Customer (' || coalesce(sales_channel, marketplace_id) || ')'
         ELSE coalesce(nullif(regexp_extract(buyer_name, '(\S+)$', 1), ''), 'Amazon Buyer') END AS last_name,
    CASE WHEN NOT shared THEN email END AS email,
    CASE WHEN NOT shared THEN address.street END AS street,
    CASE WHEN NOT shared THEN address.city END AS city,
    CASE WHEN NOT shared THEN address.state END AS state,
    CASE WHEN NOT shared THEN address.postal_code END AS postal_code,
    CASE WHEN NOT shared THEN address.country END AS country,
    marketplace_id,
    sales_channel,
    first_order_date,
    last_order_date,
    order_count,
    NULL::VARCHAR AS mapping_error
FROM contacts;
