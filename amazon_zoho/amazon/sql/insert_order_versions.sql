-- New versions only: a re-run that receives the same order adds nothing, a changed order adds a row.
-- `incoming(order_id, payload, request_id, source, fetched_at)` is registered by the caller.
INSERT INTO raw.order_versions
SELECT
    i.order_id,
    md5(i.payload) AS payload_hash,
    i.payload::JSON ->> '$.salesChannel.marketplaceId' AS marketplace_id,
    CAST(TRY_CAST(i.payload::JSON ->> '$.createdTime' AS TIMESTAMPTZ) AS DATE) AS purchase_date,
    TRY_CAST(i.payload::JSON ->> '$.lastUpdatedTime' AS TIMESTAMPTZ) AS last_updated_time,
    i.payload::JSON,
    i.source,
    i.request_id,
    i.fetched_at
FROM incoming i
WHERE TRY_CAST(i.payload::JSON ->> '$.createdTime' AS TIMESTAMPTZ) IS NOT NULL
  AND i.order_id IS NOT NULL AND i.order_id <> 'None'
ON CONFLICT DO NOTHING;
