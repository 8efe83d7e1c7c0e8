-- core: canonical, typed, one row per business key.
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
