-- Applies one batch of Zoho's per-record answers (`results`) to the id map and the dead letters.
INSERT OR REPLACE INTO ops.zoho_sync_state
SELECT
    $module, r.record_key,
    coalesce(r.zoho_id, s.zoho_id),
    CASE WHEN r.ok THEN r.payload_hash ELSE s.payload_hash END,
    CASE WHEN r.ok THEN 'synced' ELSE 'failed' END,
    r.action, r.error_code, r.error_message, r.error_details::JSON, r.payload::JSON,
    coalesce(s.attempts, 0) + 1,
    now()
FROM results r
LEFT JOIN ops.zoho_sync_state s ON s.module = $module AND s.record_key = r.record_key;

DELETE FROM ops.zoho_dead_letters WHERE module = $module AND record_key IN (SELECT record_key FROM results WHERE ok);

INSERT INTO ops.zoho_dead_letters
SELECT $module, r.record_key, r.error_code, r.error_message, r.error_field, r.error_details::JSON, r.payload::JSON, 1, now(), now()
FROM results r WHERE NOT r.ok
ON CONFLICT (module, record_key) DO UPDATE SET
    error_code = excluded.error_code, error_message = excluded.error_message, error_field = excluded.error_field,
    error_details = excluded.error_details, payload = excluded.payload,
    attempts = ops.zoho_dead_letters.attempts + 1, last_failed_at = excluded.last_failed_at;
