-- Orders we cannot place in a partition (no id or no parseable createdTime) are kept with the reason.
INSERT INTO ops.quarantine (source, partition_date, record_key, reason, raw_text, run_id)
SELECT
    'raw_orders',
    CAST($window_start AS DATE),
    i.order_id,
    CASE WHEN i.order_id IS NULL OR i.order_id = 'None' THEN 'order has no orderId'
         ELSE 'createdTime missing or not an ISO-8601 timestamp: ' || coalesce(i.payload::JSON ->> '$.createdTime', 'null') END,
    i.payload,
    $run_id
FROM incoming i
WHERE i.order_id IS NULL OR i.order_id = 'None'
   OR TRY_CAST(i.payload::JSON ->> '$.createdTime' AS TIMESTAMPTZ) IS NULL;
