-- Records still owed to Zoho whatever the window: rejected (dead letters), deferred by the credit budget,
-- or never confirmed. Every run takes them along, so nothing waits for its own day to be re-run.
CREATE OR REPLACE TEMP TABLE backlog AS
SELECT record_key FROM ops.zoho_sync_state WHERE module = $module AND status <> 'synced'
UNION
SELECT record_key FROM ops.zoho_dead_letters WHERE module = $module;
