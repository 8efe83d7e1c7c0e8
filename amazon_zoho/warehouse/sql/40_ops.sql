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
