-- A dry run of one module (after classify_pending.sql): what a push would do per record, and which fields
-- would change (by their hashes: payloads are not kept), into ops.zoho_sync_preview. Products and contacts
-- it would insert get placeholder ids (`dry_run_ids`), so the sales orders that need them preview as
-- pushed, not as waiting.
INSERT OR REPLACE INTO ops.zoho_sync_preview (run_id, module, record_key, decision, zoho_id, changed_fields, reason, previewed_at)
SELECT
    $run_id,
    $module,
    c.record_key,
    CASE c.decision WHEN 'push' THEN CASE WHEN c.zoho_id IS NULL THEN 'insert' ELSE 'update' END ELSE c.decision END,
    c.zoho_id,
    CASE WHEN c.decision = 'push' AND s.field_hashes IS NOT NULL THEN
        list_sort(list_filter(list_distinct(map_keys(c.field_hashes) || map_keys(s.field_hashes)),
                              lambda k: map_extract_value(c.field_hashes, k) IS DISTINCT FROM map_extract_value(s.field_hashes, k)))
    END,
    c.mapping_error,
    clock_now()
FROM classified c
LEFT JOIN ops.zoho_sync_state s ON s.module = $module AND s.record_key = c.record_key;

INSERT INTO dry_run_ids
SELECT $module, record_key, 'new:' || record_key FROM classified WHERE decision = 'push' AND zoho_id IS NULL;
