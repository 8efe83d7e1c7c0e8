-- The id map of one module, or of the keys named (`$keys`, NULL for all), to read back from Zoho (verify.py).
SELECT
    record_key,
    zoho_id
FROM ops.zoho_sync_state
WHERE
    module = $module
    AND zoho_id IS NOT NULL
    AND ($keys::VARCHAR[] IS NULL OR list_contains($keys::VARCHAR[], record_key))
ORDER BY zoho_id, record_key;
