-- Latest known contact details per order, in the restricted schema.
INSERT OR REPLACE INTO pii.order_contacts
SELECT
    c.order_id, c.buyer_key, c.buyer_name, c.buyer_email, c.buyer_company, c.recipient_name,
    c.address_line1, c.address_line2, c.city, c.state, c.postal_code, c.country_code, c.phone,
    v.purchase_date,
    c.fetched_at
FROM incoming_contacts c
JOIN (SELECT DISTINCT order_id, purchase_date FROM raw.order_versions) v USING (order_id);
