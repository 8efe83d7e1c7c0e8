-- The warehouse layout. Every statement is idempotent: it runs at the start of each connection that writes.
CREATE SCHEMA IF NOT EXISTS raw;    -- what Amazon sent, as received (minus buyer PII, which goes to pii)
CREATE SCHEMA IF NOT EXISTS core;   -- canonical, typed, one row per business key
CREATE SCHEMA IF NOT EXISTS marts;  -- analyst views
CREATE SCHEMA IF NOT EXISTS ops;    -- sync state, id maps, dead letters, quarantine, run history
CREATE SCHEMA IF NOT EXISTS pii;    -- the one restricted place for buyer name, email and address

CREATE TABLE IF NOT EXISTS raw.order_versions (
    order_id          VARCHAR NOT NULL,
    payload_hash      VARCHAR NOT NULL,
    marketplace_id    VARCHAR,
    purchase_date     DATE NOT NULL,
    last_updated_time TIMESTAMPTZ,
    payload           JSON NOT NULL,
    source            VARCHAR NOT NULL,
    request_id        VARCHAR,
    fetched_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (order_id, payload_hash)
);
COMMENT ON TABLE raw.order_versions IS 'Every distinct version of every order Amazon returned (Orders API v2026-01-01), buyer and recipient PII removed; the latest last_updated_time wins downstream.';

CREATE TABLE IF NOT EXISTS raw.settlement_reports (
    report_id      VARCHAR PRIMARY KEY,
    settlement_id  VARCHAR,
    marketplace_id VARCHAR,
    period_start   TIMESTAMPTZ,
    period_end     TIMESTAMPTZ,
    end_date       DATE NOT NULL,
    created_time   TIMESTAMPTZ,
    document_id    VARCHAR,
    archive_path   VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    charset        VARCHAR,
    row_count      INTEGER,
    fetched_at     TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE raw.settlement_reports IS 'Settlement reports (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2) downloaded once and archived forever under data/archive; Amazon deletes them after 90 days.';

CREATE TABLE IF NOT EXISTS raw.settlement_rows (
    report_id                    VARCHAR NOT NULL,
    line_number                  INTEGER NOT NULL,
    "settlement-id"              VARCHAR,
    "settlement-start-date"      VARCHAR,
    "settlement-end-date"        VARCHAR,
    "deposit-date"               VARCHAR,
    "total-amount"               VARCHAR,
    currency                     VARCHAR,
    "transaction-type"           VARCHAR,
    "order-id"                   VARCHAR,
    "merchant-order-id"          VARCHAR,
    "adjustment-id"              VARCHAR,
    "shipment-id"                VARCHAR,
    "marketplace-name"           VARCHAR,
    "amount-type"                VARCHAR,
    "amount-description"         VARCHAR,
    amount                       VARCHAR,
    "fulfillment-id"             VARCHAR,
    "posted-date"                VARCHAR,
    "posted-date-time"           VARCHAR,
    "order-item-code"            VARCHAR,
    "merchant-order-item-id"     VARCHAR,
    "merchant-adjustment-item-id" VARCHAR,
    sku                          VARCHAR,
    "quantity-purchased"         VARCHAR,
    "promotion-id"               VARCHAR,
    PRIMARY KEY (report_id, line_number)
);
COMMENT ON TABLE raw.settlement_rows IS 'Settlement report rows as text, mapped by header name; line_number is the 1-based line in the file (header = 1).';

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

CREATE TABLE IF NOT EXISTS ops.quarantine (
    source        VARCHAR NOT NULL,
    partition_date DATE,
    record_key    VARCHAR,
    file_name     VARCHAR,
    line_number   INTEGER,
    reason        VARCHAR NOT NULL,
    raw_text      VARCHAR,
    run_id        VARCHAR,
    quarantined_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE ops.quarantine IS 'Rows and records kept out of raw/core, with the reason: nothing is dropped silently.';

CREATE TABLE IF NOT EXISTS ops.zoho_sync_state (
    module       VARCHAR NOT NULL,
    record_key   VARCHAR NOT NULL,
    zoho_id      VARCHAR,
    payload_hash VARCHAR,
    status       VARCHAR NOT NULL,
    action       VARCHAR,
    error_code   VARCHAR,
    error_message VARCHAR,
    error_details JSON,
    payload      JSON,
    attempts     INTEGER NOT NULL DEFAULT 0,
    synced_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (module, record_key)
);
COMMENT ON TABLE ops.zoho_sync_state IS 'Zoho id map and last outcome per record: the hash of the last payload Zoho accepted, so unchanged records cost no credits.';

CREATE TABLE IF NOT EXISTS ops.zoho_dead_letters (
    module        VARCHAR NOT NULL,
    record_key    VARCHAR NOT NULL,
    error_code    VARCHAR NOT NULL,
    error_message VARCHAR,
    error_field   VARCHAR,
    error_details JSON,
    payload       JSON,
    attempts      INTEGER NOT NULL,
    first_failed_at TIMESTAMPTZ NOT NULL,
    last_failed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (module, record_key)
);
COMMENT ON TABLE ops.zoho_dead_letters IS 'Records Zoho rejected (or our mapping could not build), with code, message, field and payload; retried each run and removed once they succeed.';

CREATE TABLE IF NOT EXISTS ops.sync_runs (
    run_id      VARCHAR NOT NULL,
    partition_range VARCHAR NOT NULL,
    module      VARCHAR NOT NULL,
    inserted    INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    credits_used INTEGER NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, module, partition_range)
);
COMMENT ON TABLE ops.sync_runs IS 'One row per run, partition range and Zoho module: what the sync did and what it cost.';

CREATE TABLE IF NOT EXISTS core.marketplaces (
    marketplace_id   VARCHAR PRIMARY KEY,
    country_code     VARCHAR NOT NULL,
    currency         VARCHAR NOT NULL,
    sales_channel    VARCHAR NOT NULL,
    decimal_comma    BOOLEAN NOT NULL,
    posted_date_format VARCHAR NOT NULL
);
COMMENT ON TABLE core.marketplaces IS 'Reference: each marketplace''s currency and how its settlement files write numbers and dates.';
INSERT OR IGNORE INTO core.marketplaces VALUES
    ('ATVPDKIKX0DER', 'US', 'USD', 'Amazon.com', false, '%m/%d/%y'),
    ('A2EUQ1WTGCTBG2', 'CA', 'CAD', 'Amazon.ca', false, '%m/%d/%y'),
    ('A1AM78C64UM0Y8', 'MX', 'MXN', 'Amazon.com.mx', false, '%d/%m/%y'),
    ('A1PA6795UKMFR9', 'DE', 'EUR', 'Amazon.de', true, '%d.%m.%Y'),
    ('A1F83G8C2ARO7P', 'GB', 'GBP', 'Amazon.co.uk', false, '%d/%m/%y'),
    ('A13V1IB3VIYZZH', 'FR', 'EUR', 'Amazon.fr', true, '%d/%m/%y'),
    ('APJ6JRA9NG5V4', 'IT', 'EUR', 'Amazon.it', true, '%d/%m/%y'),
    ('A1RKKUPIHCS9HS', 'ES', 'EUR', 'Amazon.es', true, '%d/%m/%y'),
    ('A1805IZSGTT6HS', 'NL', 'EUR', 'Amazon.nl', true, '%d-%m-%Y'),
    ('A1VC38T7YXB528', 'JP', 'JPY', 'Amazon.co.jp', false, '%Y/%m/%d');

CREATE TABLE IF NOT EXISTS core.orders (
    order_id            VARCHAR PRIMARY KEY,
    marketplace_id      VARCHAR NOT NULL,
    sales_channel       VARCHAR,
    purchase_date       DATE NOT NULL,
    purchase_ts         TIMESTAMPTZ NOT NULL,
    last_update_ts      TIMESTAMPTZ,
    fulfillment_channel VARCHAR,
    order_status        VARCHAR,
    currency            VARCHAR,
    order_total         DECIMAL(18, 2),
    item_subtotal       DECIMAL(18, 2),
    tax_total           DECIMAL(18, 2),
    shipping_total      DECIMAL(18, 2),
    discount_total      DECIMAL(18, 2),
    buyer_key           VARCHAR,
    line_count          INTEGER NOT NULL,
    ship_country        VARCHAR
);
COMMENT ON TABLE core.orders IS 'One row per Amazon order, latest version wins. Money in the order currency (DECIMAL); buyer_key is pseudonymous.';
COMMENT ON COLUMN core.orders.fulfillment_channel IS 'AFN = fulfilled by Amazon (FBA), MFN = merchant fulfilled (FBM).';
COMMENT ON COLUMN core.orders.order_status IS 'Amazon fulfillmentStatus: PENDING, UNSHIPPED, PARTIALLY_SHIPPED, SHIPPED, CANCELLED, UNFULFILLABLE, PENDING_AVAILABILITY.';
COMMENT ON COLUMN core.orders.order_total IS 'proceeds.grandTotal as Amazon sent it; NULL while the order is PENDING (Amazon sends no prices then).';

CREATE TABLE IF NOT EXISTS core.order_lines (
    order_id           VARCHAR NOT NULL,
    order_item_id      VARCHAR NOT NULL,
    purchase_date      DATE NOT NULL,
    marketplace_id     VARCHAR NOT NULL,
    sku                VARCHAR,
    asin               VARCHAR,
    title              VARCHAR,
    quantity_ordered   INTEGER NOT NULL,
    quantity_shipped   INTEGER,
    currency           VARCHAR,
    unit_price         DECIMAL(18, 2),
    item_amount        DECIMAL(18, 2),
    item_tax           DECIMAL(18, 2),
    shipping           DECIMAL(18, 2),
    promotion_discount DECIMAL(18, 2),
    line_total         DECIMAL(18, 2),
    PRIMARY KEY (order_id, order_item_id)
);
COMMENT ON TABLE core.order_lines IS 'One row per order item. Tax is the amount Amazon sent, never a rate.';
COMMENT ON COLUMN core.order_lines.line_total IS 'The item''s proceedsTotal as Amazon sent it (item + tax + shipping - discounts).';

CREATE TABLE IF NOT EXISTS core.customers (
    buyer_key        VARCHAR PRIMARY KEY,
    marketplace_id   VARCHAR,
    first_order_date DATE,
    last_order_date  DATE,
    order_count      INTEGER
);
COMMENT ON TABLE core.customers IS 'One row per pseudonymous buyer (merchant-fulfilled orders carry a buyer email; FBA orders do not).';

CREATE TABLE IF NOT EXISTS core.products (
    sku            VARCHAR NOT NULL,
    marketplace_id VARCHAR NOT NULL,
    asin           VARCHAR,
    title          VARCHAR,
    currency       VARCHAR,
    latest_price   DECIMAL(18, 2),
    last_sold_date DATE,
    PRIMARY KEY (sku, marketplace_id)
);
COMMENT ON TABLE core.products IS 'SKU to ASIN with title and the latest unit price seen per marketplace.';

CREATE TABLE IF NOT EXISTS core.settlements (
    settlement_id  VARCHAR PRIMARY KEY,
    report_id      VARCHAR NOT NULL,
    marketplace_id VARCHAR,
    period_start   TIMESTAMPTZ,
    period_end     TIMESTAMPTZ,
    deposit_date   TIMESTAMPTZ,
    total_amount   DECIMAL(18, 2),
    currency       VARCHAR,
    end_date       DATE NOT NULL
);
COMMENT ON TABLE core.settlements IS 'One row per settlement (the summary row of its report): period, deposit date and deposit total.';

CREATE TABLE IF NOT EXISTS core.settlement_lines (
    settlement_id      VARCHAR NOT NULL,
    report_id          VARCHAR NOT NULL,
    line_number        INTEGER NOT NULL,
    transaction_type   VARCHAR,
    order_id           VARCHAR,
    adjustment_id      VARCHAR,
    shipment_id        VARCHAR,
    marketplace_name   VARCHAR,
    amount_type        VARCHAR,
    amount_description VARCHAR,
    amount             DECIMAL(18, 2) NOT NULL,
    currency           VARCHAR,
    posted_ts          TIMESTAMPTZ,
    order_item_code    VARCHAR,
    sku                VARCHAR,
    quantity_purchased INTEGER,
    promotion_id       VARCHAR,
    end_date           DATE NOT NULL,
    PRIMARY KEY (report_id, line_number)
);
COMMENT ON TABLE core.settlement_lines IS 'Every detail row of every settlement, amounts typed from the marketplace''s local number format.';
