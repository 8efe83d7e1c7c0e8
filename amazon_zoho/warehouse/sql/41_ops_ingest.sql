-- ops (ingest): what the Amazon side scanned and requested, so runs and sensors can resume and audit.
CREATE SEQUENCE IF NOT EXISTS ops.order_update_scan_ids;
CREATE TABLE IF NOT EXISTS ops.order_update_scans (
    scan_id        BIGINT PRIMARY KEY DEFAULT nextval('ops.order_update_scan_ids'),
    source         VARCHAR NOT NULL,
    updated_after  TIMESTAMPTZ NOT NULL,
    updated_before TIMESTAMPTZ NOT NULL,
    orders_seen    INTEGER NOT NULL,
    new_versions   INTEGER NOT NULL,
    changed_days   DATE[] NOT NULL,
    amazon_calls   INTEGER NOT NULL,
    run_id         VARCHAR,
    scanned_at     TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE ops.order_update_scans IS 'Each searchOrders lastUpdated scan stored in raw: [updated_after, updated_before) is covered. The daily lookback scans only what no scan covered; the order-updates sensor re-materializes changed_days (purchase days with new versions, the run''s own window excluded).';

CREATE TABLE IF NOT EXISTS ops.report_requests (
    report_id       VARCHAR PRIMARY KEY,
    report_type     VARCHAR NOT NULL,
    marketplace_ids VARCHAR[] NOT NULL,
    data_start      TIMESTAMPTZ NOT NULL,
    data_end        TIMESTAMPTZ NOT NULL,
    status          VARCHAR NOT NULL,
    reused          BOOLEAN NOT NULL,
    attempt         INTEGER NOT NULL,
    detail          VARCHAR,
    rows_loaded     INTEGER,
    run_id          VARCHAR,
    recorded_at     TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE ops.report_requests IS 'Order reports a run requested (or reused while IN_QUEUE/IN_PROGRESS) and how each ended: DONE, CANCELLED (no data) or FATAL (with Amazon''s reason; retried after a wait).';

CREATE TABLE IF NOT EXISTS ops.imports (
    sha256           VARCHAR PRIMARY KEY,
    report_id        VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    kind             VARCHAR,
    status           VARCHAR NOT NULL,
    reason           VARCHAR,
    marketplace_ids  VARCHAR[],
    first_day        DATE,
    last_day         DATE,
    rows_loaded      INTEGER,
    rows_quarantined INTEGER,
    archive_path     VARCHAR,
    run_id           VARCHAR,
    imported_at      TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE ops.imports IS 'Report files imported by hand (make import, the data/inbox sensor), one row per distinct file content: loaded (into raw, archived, report_id import-<sha256[:16]>) or refused, with the reason. The same bytes again change nothing.';
COMMENT ON COLUMN ops.imports.kind IS 'settlement (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2) or order_report (all-orders flat file); NULL when the file is not a report.';
-- Added after the table: warehouses made before it get the column; NULL for their imports, which were rebuilt
-- by the caller that loaded them (or are re-requested once, harmlessly: a rebuild is idempotent).
ALTER TABLE ops.imports ADD COLUMN IF NOT EXISTS rebuild_requested_at TIMESTAMPTZ;
COMMENT ON COLUMN ops.imports.rebuild_requested_at IS 'When core and marts were asked to be rebuilt for the file''s days (the inbox sensor returned its run requests; make import''s rebuild runs succeeded). NULL on a loaded file: a rebuild is still owed, and the next tick or make import asks for it.';
COMMENT ON COLUMN ops.imports.first_day IS 'First partition day the file covers: a settlement''s settlement-end-date day (UTC), an order report''s first purchase day.';

CREATE TABLE IF NOT EXISTS ops.decode_events (
    source           VARCHAR NOT NULL,
    report_id        VARCHAR NOT NULL,
    marketplace_id   VARCHAR,
    declared_charset VARCHAR,
    decoded_as       VARCHAR NOT NULL,
    note             VARCHAR NOT NULL,
    run_id           VARCHAR,
    recorded_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, report_id)
);
COMMENT ON TABLE ops.decode_events IS 'Report files (source settlement_file or order_report) whose bytes were not a clean read: no or a wrong charset declared, a byte-order mark that overrode the declared one, an encoding guessed from the marketplace, or the lossy ISO-8859-1 last resort. note says which; amazon/reports.py decode_report.';
