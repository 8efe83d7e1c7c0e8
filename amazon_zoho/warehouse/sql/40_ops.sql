-- ops: sync state, id maps, dead letters, quarantine, run history.
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
    attempts     INTEGER NOT NULL DEFAULT 0,
    synced_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (module, record_key)
);
COMMENT ON TABLE ops.zoho_sync_state IS 'Zoho id map and last outcome per record: the hash of the last payload Zoho accepted, so unchanged records cost no credits.';
COMMENT ON COLUMN ops.zoho_sync_state.action IS 'What the last accepted write did: insert, update, or adopt (linked to a record the org already had, refused as DUPLICATE_DATA).';

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
-- Added after the table's first release (issue #14): the payload a record last failed with, and how many times in a
-- row Zoho refused that very payload; classify_pending.sql stops re-sending it after a few.
ALTER TABLE ops.zoho_dead_letters ADD COLUMN IF NOT EXISTS payload_hash VARCHAR;
ALTER TABLE ops.zoho_dead_letters ADD COLUMN IF NOT EXISTS payload_failures INTEGER;
COMMENT ON TABLE ops.zoho_dead_letters IS 'Records Zoho rejected (or our mapping could not build), with code, message, field and payload (buyer names and addresses redacted); retried each run and removed once they succeed.';

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

-- Zoho sync, production depth (issue 5). ALTERs bring existing warehouses along.
-- Payloads hold buyer names and addresses, which live only in pii: the id map keeps hashes of what Zoho
-- accepted, never the payload itself (older warehouses lose theirs here).
ALTER TABLE ops.zoho_sync_state DROP COLUMN IF EXISTS payload;
ALTER TABLE ops.zoho_sync_state ADD COLUMN IF NOT EXISTS lines_to_prune BOOLEAN DEFAULT false;
ALTER TABLE ops.zoho_sync_state ADD COLUMN IF NOT EXISTS lines_hash VARCHAR;
ALTER TABLE ops.zoho_sync_state ADD COLUMN IF NOT EXISTS line_count INTEGER;
ALTER TABLE ops.zoho_sync_state ADD COLUMN IF NOT EXISTS field_hashes MAP(VARCHAR, VARCHAR);
COMMENT ON COLUMN ops.zoho_sync_state.status IS 'synced, failed (see ops.zoho_dead_letters), deferred (credit budget), unconfirmed (crash) or id_mismatch (Zoho holds another record at the id we had: ops.zoho_id_checks): anything but synced is retried by every run.';
COMMENT ON COLUMN ops.zoho_sync_state.payload_hash IS 'md5 of the last payload Zoho accepted: the same payload again is not sent.';
COMMENT ON COLUMN ops.zoho_sync_state.lines_hash IS 'md5 of the line items Zoho last accepted (sales orders): unchanged line items are not re-sent.';
COMMENT ON COLUMN ops.zoho_sync_state.field_hashes IS 'md5 per field of the accepted payload, so a dry run can name the fields that would change.';
ALTER TABLE ops.zoho_sync_state ADD COLUMN IF NOT EXISTS built_with VARCHAR;
COMMENT ON COLUMN ops.zoho_sync_state.built_with IS 'Hash of the mapping and payload SQL that built the payload Zoho holds; a record built otherwise is rebuilt (and re-sent if it changed) by the next run, whatever its day.';
COMMENT ON COLUMN ops.zoho_sync_state.lines_to_prune IS 'Zoho appended line items we re-sent to an existing sales order; the older copies still have to be deleted.';

ALTER TABLE ops.sync_runs ADD COLUMN IF NOT EXISTS deferred INTEGER DEFAULT 0;
ALTER TABLE ops.sync_runs ADD COLUMN IF NOT EXISTS calls INTEGER DEFAULT 0;
ALTER TABLE ops.sync_runs ADD COLUMN IF NOT EXISTS path VARCHAR;
COMMENT ON COLUMN ops.sync_runs.path IS 'upsert (Records API, 100 per call) or bulk (Bulk Write API jobs), whichever cost fewer credits.';

CREATE TABLE IF NOT EXISTS ops.zoho_credit_ledger (
    ts         TIMESTAMPTZ NOT NULL,
    run_id     VARCHAR,
    operation  VARCHAR NOT NULL,
    credits    INTEGER NOT NULL
);
COMMENT ON TABLE ops.zoho_credit_ledger IS 'Every Zoho call we made and the API credits it cost; the rolling 24 h sum is checked against ZOHO_DAILY_CREDITS - ZOHO_CREDIT_RESERVE before each call.';

CREATE TABLE IF NOT EXISTS ops.zoho_bulk_jobs (
    job_id      VARCHAR PRIMARY KEY,
    module      VARCHAR NOT NULL,
    run_id      VARCHAR,
    records     INTEGER NOT NULL,
    status      VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
COMMENT ON TABLE ops.zoho_bulk_jobs IS 'Bulk Write jobs we started; one left unfinished by a crash is awaited and its results applied before the module is pushed again.';

CREATE TABLE IF NOT EXISTS ops.zoho_sync_preview (
    run_id         VARCHAR NOT NULL,
    module         VARCHAR NOT NULL,
    record_key     VARCHAR NOT NULL,
    decision       VARCHAR NOT NULL,
    zoho_id        VARCHAR,
    changed_fields VARCHAR[],
    reason         VARCHAR,
    previewed_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, module, record_key)
);
ALTER TABLE ops.zoho_sync_preview DROP COLUMN IF EXISTS payload;
COMMENT ON TABLE ops.zoho_sync_preview IS 'Dry runs (job zoho_dry_run): what a push would do per record (insert, update, unchanged, unmappable) and which fields would change, without calling Zoho.';
