-- Sales orders whose line items Zoho appended to older copies, with how many rows they should have.
SELECT record_key, zoho_id, coalesce(line_count, 0) AS expected_rows
FROM ops.zoho_sync_state
WHERE module = $module AND lines_to_prune AND zoho_id IS NOT NULL
ORDER BY record_key;
