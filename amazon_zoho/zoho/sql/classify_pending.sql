-- What each pending record needs: nothing (the payload Zoho last accepted, byte for byte), a push, or a
-- dead letter because our mapping could not build it. A sales order Zoho already holds is sent without
-- its line items unless they changed: Zoho appends the line items it is sent to those it has.
CREATE OR REPLACE TEMP TABLE classified AS
SELECT
    p.record_key,
    p.payload::VARCHAR AS payload,
    md5(p.payload::VARCHAR) AS payload_hash,
    s.zoho_id,
    $lines_field <> '' AND (s.zoho_id IS NULL OR json_extract(s.payload, $lines_path)::VARCHAR
                            IS DISTINCT FROM json_extract(p.payload, $lines_path)::VARCHAR) AS lines_sent,
    CASE
        WHEN p.mapping_error IS NOT NULL THEN 'unmappable'
        WHEN s.status = 'synced' AND s.payload_hash = md5(p.payload::VARCHAR) THEN 'unchanged'
        ELSE 'push'
    END AS decision,
    p.mapping_error
FROM pending p
LEFT JOIN ops.zoho_sync_state s ON s.module = $module AND s.record_key = p.record_key;

CREATE OR REPLACE TEMP TABLE to_send AS
SELECT
    record_key,
    payload,
    payload_hash,
    zoho_id,
    lines_sent,
    CASE WHEN $lines_field = '' OR lines_sent THEN payload
         ELSE json_merge_patch(payload, json_object($lines_field, NULL))::VARCHAR END AS send_payload
FROM classified
WHERE decision = 'push'
ORDER BY record_key;
