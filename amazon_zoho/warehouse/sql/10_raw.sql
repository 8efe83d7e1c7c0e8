-- raw: what Amazon sent, as received (buyer PII split off to pii).
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
COMMENT ON TABLE raw.order_versions IS 'Every distinct version of every order Amazon returned (Orders API v2026-01-01), buyer and recipient PII removed; the latest last_updated_time wins downstream, so the history of status changes stays here.';
COMMENT ON COLUMN raw.order_versions.payload IS 'The order as Orders API v2026-01-01 JSON. Rows from flat-file reports (source report) are converted to the same shape, with fewer fields.';
COMMENT ON COLUMN raw.order_versions.source IS 'searchOrders (orders created in a partition), searchOrders:lastUpdated (order-updates sensor and the daily lookback), getOrder (buyer details during bulk backfills), report (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL).';
COMMENT ON COLUMN raw.order_versions.request_id IS 'x-amzn-RequestId of the API response, or the reportId for source report.';

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
