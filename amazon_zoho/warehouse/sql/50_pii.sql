-- pii: the one restricted place for buyer name, email and address.
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
COMMENT ON TABLE pii.order_contacts IS 'RESTRICTED: buyer and recipient details per order. Only the Zoho Contacts sync reads it; purged after the retention period.';
