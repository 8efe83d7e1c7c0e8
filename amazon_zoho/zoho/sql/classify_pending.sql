-- What each pending record needs: nothing (same payload as Zoho last accepted), a push, or a dead letter
-- because our mapping could not build it.
CREATE OR REPLACE TEMP TABLE classified AS
SELECT
    p.record_key,
    p.payload::VARCHAR AS payload,
    md5(p.payload::VARCHAR) AS payload_hash,
    s.zoho_id,
    CASE
        WHEN p.mapping_error IS NOT NULL THEN 'unmappable'
        WHEN s.status = 'synced' AND s.payload_hash = md5(p.payload::VARCHAR) THEN 'unchanged'
        ELSE 'push'
    END AS decision,
    p.mapping_error
FROM pending p
LEFT JOIN ops.zoho_sync_state s ON s.module = $module AND s.record_key = p.record_key;
