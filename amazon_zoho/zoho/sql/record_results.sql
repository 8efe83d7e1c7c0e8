-- Applies one batch of Zoho's per-record answers (`results`) to the id map and the dead letters. The id
-- map keeps the hashes of the last payload Zoho ACCEPTED (from `classified`), so a failed update does not
-- pretend to be in Zoho; dead letters keep the payload we tried, with buyer details redacted.
INSERT INTO ops.zoho_sync_state
    (module, record_key, zoho_id, payload_hash, status, action, error_code, error_message, error_details, attempts, synced_at,
     lines_to_prune, lines_hash, line_count, field_hashes)
SELECT
    $module, r.record_key, r.zoho_id,
    CASE WHEN r.ok THEN c.payload_hash END,
    CASE WHEN r.ok THEN 'synced' ELSE 'failed' END,
    r.action, r.error_code, r.error_message, r.error_details::JSON,
    1, clock_now(), r.ok AND r.lines_appended,
    CASE WHEN r.ok THEN c.lines_hash END,
    CASE WHEN r.ok THEN c.line_count END,
    CASE WHEN r.ok THEN c.field_hashes END
FROM results r
JOIN classified c USING (record_key)
ON CONFLICT (module, record_key) DO UPDATE SET
    zoho_id = coalesce(excluded.zoho_id, zoho_id),
    payload_hash = CASE WHEN excluded.status = 'synced' THEN excluded.payload_hash ELSE payload_hash END,
    lines_hash = CASE WHEN excluded.status = 'synced' THEN excluded.lines_hash ELSE lines_hash END,
    line_count = CASE WHEN excluded.status = 'synced' THEN excluded.line_count ELSE line_count END,
    field_hashes = CASE WHEN excluded.status = 'synced' THEN excluded.field_hashes ELSE field_hashes END,
    status = excluded.status,
    action = excluded.action,
    error_code = excluded.error_code,
    error_message = excluded.error_message,
    error_details = excluded.error_details,
    attempts = attempts + 1,
    synced_at = excluded.synced_at,
    lines_to_prune = lines_to_prune OR excluded.lines_to_prune;

DELETE FROM ops.zoho_dead_letters WHERE module = $module AND record_key IN (SELECT record_key FROM results WHERE ok);

-- payload_failures counts Zoho's refusals of the same payload in a row (payload_hash, from `classified`), so a
-- payload that cannot succeed is not sent forever (classify_pending.sql); a new payload starts again at 1.
INSERT INTO ops.zoho_dead_letters
    (module, record_key, error_code, error_message, error_field, error_details, payload, attempts, first_failed_at, last_failed_at,
     payload_hash, payload_failures)
SELECT
    $module, r.record_key, r.error_code, r.error_message, r.error_field, r.error_details::JSON, r.sent_payload::JSON, 1, clock_now(),
    clock_now(), c.payload_hash, 1
FROM results r
JOIN classified c USING (record_key)
WHERE NOT r.ok
ON CONFLICT (module, record_key) DO UPDATE SET
    error_code = excluded.error_code, error_message = excluded.error_message, error_field = excluded.error_field,
    error_details = excluded.error_details, payload = excluded.payload,
    attempts = ops.zoho_dead_letters.attempts + 1, last_failed_at = excluded.last_failed_at,
    payload_failures = CASE WHEN ops.zoho_dead_letters.payload_hash = excluded.payload_hash
                            THEN coalesce(ops.zoho_dead_letters.payload_failures, 0) + 1 ELSE 1 END,
    payload_hash = excluded.payload_hash;

-- Answered: not deferred if the budget stops the push later in this run (sync.py _defer).
INSERT INTO push_answered SELECT record_key FROM results;
