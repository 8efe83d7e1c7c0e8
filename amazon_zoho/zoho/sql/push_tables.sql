-- What a push of one module builds for the whole window, filled one slice of its records at a time
-- (classify_pending.sql; sync.prepare), so no query builds the window's payloads at once (issue #17).
-- `classified`: what each record needs. `to_send`: the records to push, numbered by `seq` in the order they were
-- added (each slice in key order), which the push pages by. `push_answered`: the records of `to_send` Zoho has
-- answered for (or that were refused unsent), filled batch by batch with their answers (record_results.sql), so
-- what the budget leaves over is `to_send` less these, deferred by a query (sync.py) without the window's keys in Python.
CREATE OR REPLACE TEMP TABLE classified (
    record_key VARCHAR,
    payload VARCHAR,
    payload_hash VARCHAR,
    lines_hash VARCHAR,
    line_count BIGINT,
    field_hashes MAP(VARCHAR, VARCHAR),
    mapping_error VARCHAR,
    zoho_id VARCHAR,
    lines_sent BOOLEAN,
    decision VARCHAR
);
CREATE OR REPLACE TEMP TABLE to_send (seq BIGINT, record_key VARCHAR, payload_hash VARCHAR, zoho_id VARCHAR, lines_sent BOOLEAN, send_payload VARCHAR);
CREATE OR REPLACE TEMP TABLE push_answered (record_key VARCHAR);
