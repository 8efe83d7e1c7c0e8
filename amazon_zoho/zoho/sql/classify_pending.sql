-- What each pending record needs: nothing (the payload Zoho last accepted, byte for byte), a push, or a
-- dead letter because our mapping could not build it. A sales order Zoho already holds is sent without
-- its line items unless they changed: Zoho appends the line items it is sent to those it has.
-- A payload Zoho refused 3 times in a row for what it holds (INVALID_DATA, MANDATORY_NOT_FOUND: the same bytes
-- get the same answer) is 'held': not sent again, and left dead-lettered, until its payload changes (issue #14).
-- Refusals that depend on the org or the moment (DUPLICATE_DATA, ANSWER_MISMATCH, ...) keep being retried.
-- Hashes only: payloads carry buyer names and addresses, which are kept in pii alone.
CREATE OR REPLACE TEMP TABLE classified AS
WITH hashed AS (
    SELECT
        record_key,
        payload::VARCHAR AS payload,
        md5(payload::VARCHAR) AS payload_hash,
        CASE WHEN $lines_field <> '' THEN md5(json_extract(payload, $lines_path)::VARCHAR) END AS lines_hash,
        CASE WHEN $lines_field <> '' THEN coalesce(json_array_length(payload, $lines_path), 0) END AS line_count,
        map_from_entries(list_transform(json_keys(payload), lambda k: {'key': k, 'value': md5(json_extract(payload, '$.' || k)::VARCHAR)})) AS field_hashes,
        mapping_error
    FROM pending
)
SELECT
    h.*,
    s.zoho_id,
    $lines_field <> '' AND (s.zoho_id IS NULL OR s.lines_hash IS DISTINCT FROM h.lines_hash) AS lines_sent,
    CASE
        WHEN h.mapping_error IS NOT NULL THEN 'unmappable'
        WHEN s.status = 'synced' AND s.payload_hash = h.payload_hash THEN 'unchanged'
        WHEN d.payload_hash = h.payload_hash AND d.payload_failures >= 3 AND d.error_code IN ('INVALID_DATA', 'MANDATORY_NOT_FOUND') THEN 'held'
        ELSE 'push'
    END AS decision
FROM hashed h
LEFT JOIN ops.zoho_sync_state s ON s.module = $module AND s.record_key = h.record_key
LEFT JOIN ops.zoho_dead_letters d ON d.module = $module AND d.record_key = h.record_key;

-- `seq` numbers the records in key order, so the push reads them a page at a time (sync.py) by a range of seq,
-- which DuckDB answers from the row groups holding it (the table is written in seq order): no page costs a scan.
-- The full payload stays in `classified`; what is sent is send_payload.
CREATE OR REPLACE TEMP TABLE to_send AS
SELECT
    row_number() OVER (ORDER BY record_key) AS seq,
    record_key,
    payload_hash,
    zoho_id,
    lines_sent,
    CASE WHEN $lines_field = '' OR lines_sent THEN payload
         ELSE json_merge_patch(payload, json_object($lines_field, NULL))::VARCHAR END AS send_payload
FROM classified
WHERE decision = 'push'
ORDER BY seq;

-- The records of `to_send` Zoho has answered for (or that were refused unsent), filled batch by batch with their
-- answers (record_results.sql): what the budget leaves over is `to_send` less these, deferred by a query (sync.py),
-- without a set of the window's keys in Python.
CREATE OR REPLACE TEMP TABLE push_answered (record_key VARCHAR);
