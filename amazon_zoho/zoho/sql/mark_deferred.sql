-- Records the credit budget kept from being pushed this run: their id map row says `deferred` (so every
-- later run takes them along) and keeps what Zoho last accepted.
INSERT INTO ops.zoho_sync_state (module, record_key, zoho_id, payload_hash, status, error_message, attempts, synced_at)
SELECT $module, record_key, NULL, NULL, 'deferred', 'deferred: ' || $reason, 0, clock_now()
FROM deferred
ON CONFLICT (module, record_key) DO UPDATE SET status = 'deferred', error_message = excluded.error_message, synced_at = excluded.synced_at;
