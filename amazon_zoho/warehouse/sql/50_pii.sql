-- pii: the one restricted place for buyer name, email and address.
BEGIN TRANSACTION;  -- one commit for the whole file: hundreds of COMMENTs cost one WAL flush, not one each
CREATE TABLE IF NOT EXISTS pii.order_contacts (
    order_id       VARCHAR PRIMARY KEY,
    buyer_key      VARCHAR,
    buyer_name     VARCHAR,
    buyer_email    VARCHAR,
    buyer_company  VARCHAR,
    recipient_name VARCHAR,
    address_line1  VARCHAR,
    address_line2  VARCHAR,
    city           VARCHAR,
    state          VARCHAR,
    postal_code    VARCHAR,
    country_code   VARCHAR,
    phone          VARCHAR,
    purchase_date  DATE,
    fetched_at     TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE pii.order_contacts IS 'RESTRICTED: buyer and recipient details per order, the only place they live (elsewhere buyers are buyer_key). Only the Zoho Contacts sync reads it; ops/pii_retention deletes each row AMAZON_ZOHO_PII_RETENTION_DAYS (default 30) after delivery, per Amazon''s Data Protection Policy. Not copied to the analyst copy.';
COMMENT ON COLUMN pii.order_contacts.order_id IS 'Amazon order id (core.orders.order_id): the only link between a person and their orders.';
COMMENT ON COLUMN pii.order_contacts.buyer_key IS 'The pseudonymous key of this buyer used everywhere else (core.orders.buyer_key).';
COMMENT ON COLUMN pii.order_contacts.buyer_name IS 'PII: buyer name.';
COMMENT ON COLUMN pii.order_contacts.buyer_email IS 'PII: buyer email (Amazon''s relay address, merchant-fulfilled orders only).';
COMMENT ON COLUMN pii.order_contacts.buyer_company IS 'PII: buyer company name.';
COMMENT ON COLUMN pii.order_contacts.recipient_name IS 'PII: name on the delivery address.';
COMMENT ON COLUMN pii.order_contacts.address_line1 IS 'PII: delivery street address.';
COMMENT ON COLUMN pii.order_contacts.address_line2 IS 'PII: delivery address, second line.';
COMMENT ON COLUMN pii.order_contacts.city IS 'PII (with the street): delivery city.';
COMMENT ON COLUMN pii.order_contacts.state IS 'PII (with the street): delivery state or region.';
COMMENT ON COLUMN pii.order_contacts.postal_code IS 'PII: delivery postal code.';
COMMENT ON COLUMN pii.order_contacts.country_code IS 'Delivery country (ISO 3166).';
COMMENT ON COLUMN pii.order_contacts.phone IS 'PII: recipient phone.';
COMMENT ON COLUMN pii.order_contacts.purchase_date IS 'UTC day the order was placed.';
COMMENT ON COLUMN pii.order_contacts.fetched_at IS 'When these details were last received from Amazon. Rows are deleted AMAZON_ZOHO_PII_RETENTION_DAYS (default 30) after delivery by the ops/pii_retention asset.';
COMMIT;
