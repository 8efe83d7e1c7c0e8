-- Id map entries Zoho contradicts (`id_problems`: the record at zoho_id holds another key, or none is there):
-- the id and the hashes of what Zoho "accepted" are cleared and the record is owed again (status id_mismatch,
-- which backlog.sql takes along whatever its day), so the next push upserts it by its key and learns its real
-- id; sales orders are re-sent with their line items, built from the products' ids as they are then.
-- Only an entry still holding the id read is touched: a push that re-learned it meanwhile wins.
INSERT INTO ops.zoho_id_checks (run_id, module, record_key, zoho_id, outcome, found_key, checked_at)
SELECT $run_id, $module, record_key, zoho_id, outcome, found_key, clock_now()
FROM id_problems;

UPDATE ops.zoho_sync_state s SET
    zoho_id = NULL,
    payload_hash = NULL,
    lines_hash = NULL,
    field_hashes = NULL,
    lines_to_prune = false,
    status = 'id_mismatch',
    error_code = upper('ID_' || p.outcome),
    error_message = CASE
        WHEN p.outcome = 'missing' THEN 'Zoho holds no record ' || p.zoho_id
        ELSE 'Zoho record ' || p.zoho_id || ' holds ' || p.found_key
    END,
    synced_at = clock_now()
FROM id_problems p
WHERE s.module = $module AND s.record_key = p.record_key AND s.zoho_id = p.zoho_id;
