-- The sales orders whose duplicate line items were deleted (`pruned`) are whole again.
UPDATE ops.zoho_sync_state SET lines_to_prune = false
WHERE module = $module AND record_key IN (SELECT record_key FROM pruned);
