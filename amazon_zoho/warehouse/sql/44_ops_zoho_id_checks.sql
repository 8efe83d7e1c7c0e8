-- ops (the id map checked against Zoho): map entries whose Zoho record holds another key, or no record at all
-- (zoho/verify.py; issue #14 item 2). Their id was cleared, so the next push finds the record by its key again.
CREATE TABLE IF NOT EXISTS ops.zoho_id_checks (
    run_id     VARCHAR,
    module     VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    zoho_id    VARCHAR NOT NULL,
    outcome    VARCHAR NOT NULL,
    found_key  VARCHAR,
    checked_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE ops.zoho_id_checks IS 'Id map entries found wrong when read back from Zoho (job zoho_verify_ids, or a batch whose answer did not fit it): the id was cleared and the record re-sent by key.';
COMMENT ON COLUMN ops.zoho_id_checks.outcome IS 'mismatch (the Zoho record holds another key: found_key) or missing (Zoho holds no record with that id).';
COMMENT ON COLUMN ops.zoho_id_checks.found_key IS 'The key the record at zoho_id holds (Amazon_SKU, Amazon_Buyer_Key or Amazon_Order_ID); NULL when missing.';
COMMENT ON COLUMN ops.zoho_id_checks.zoho_id IS 'The id the map held, now cleared.';
