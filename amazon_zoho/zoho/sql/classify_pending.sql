-- What each pending record needs: nothing (the payload Zoho last accepted, byte for byte), a push, or a
-- dead letter because our mapping could not build it. A sales order Zoho already holds is sent without
-- its line items unless they changed: Zoho appends the line items it is sent to those it has.
-- A payload Zoho refused 3 times in a row for what it holds (INVALID_DATA, MANDATORY_NOT_FOUND: the same bytes
-- get the same answer) is 'held': not sent again, and left dead-lettered, until its payload changes (issue #14).
-- Refusals that depend on the org or the moment (DUPLICATE_DATA, ANSWER_MISMATCH, ...) keep being retried.
-- Hashes only: payloads carry buyer names and addresses, which are kept in pii alone.
-- One slice of the records (pending.sql's), added to the window's `classified` and `to_send` (push_tables.sql).
CREATE OR REPLACE TEMP TABLE slice_classified AS
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

INSERT INTO classified BY NAME SELECT * FROM slice_classified;

-- `seq` numbers the records in the order they are added, each slice in key order after the slices before it, so the
-- push reads them a page at a time (sync.py) by a range of seq, which DuckDB answers from the row groups holding it
-- (the table is written in seq order): no page costs a scan. The full payload stays in `classified`; what is sent
-- is send_payload.
INSERT INTO to_send BY NAME
SELECT
    (SELECT count(*) FROM to_send) + row_number() OVER (ORDER BY record_key) AS seq,
    record_key,
    payload_hash,
    zoho_id,
    lines_sent,
    CASE WHEN $lines_field = '' OR lines_sent THEN payload
         ELSE json_merge_patch(payload, json_object($lines_field, NULL))::VARCHAR END AS send_payload
FROM slice_classified
WHERE decision = 'push'
ORDER BY seq;
