-- Records still owed to Zoho whatever the window: rejected (dead letters), deferred by the credit budget,
-- or never confirmed; and those Zoho accepted from a payload an older mapping or older payload SQL built
-- (built_with: sync.built_with), which may now build differently. Every run takes them along, so nothing
-- waits for its own day to be re-run.
CREATE OR REPLACE TEMP TABLE backlog AS
SELECT record_key FROM ops.zoho_sync_state WHERE module = $module AND (status <> 'synced' OR built_with IS DISTINCT FROM $built_with)
UNION
SELECT record_key FROM ops.zoho_dead_letters WHERE module = $module;
