-- Record ids from a Bulk Write job an earlier run did not see finish (`repaired`): into the id map. New
-- rows stay unconfirmed, so the records are pushed again (as updates, now that their id is known), and a
-- sales order the job updated gets its line items checked for the copies Zoho appended.
INSERT INTO ops.zoho_sync_state (module, record_key, zoho_id, status, attempts, synced_at, lines_to_prune)
SELECT $module, record_key, zoho_id, 'unconfirmed', 0, clock_now(), $has_lines AND updated
FROM repaired
ON CONFLICT (module, record_key) DO UPDATE SET
    zoho_id = excluded.zoho_id,
    lines_to_prune = lines_to_prune OR excluded.lines_to_prune;
