-- Purchase days outside the run's window [$start, $end) that $consumer built before and whose source moved past what
-- it built from: raw.order_versions when $upstream is 'raw' (core_orders), else the core_orders build it read (marts
-- and Zoho read core). Days never built are left alone: building one from a few late versions would publish a
-- partial day; its own partition run loads it whole.
WITH source AS (
    SELECT purchase_date, max(fetched_at) AS through
    FROM raw.order_versions
    WHERE $upstream = 'raw'
    GROUP BY purchase_date
    UNION ALL
    SELECT purchase_date, raw_through AS through
    FROM ops.order_day_builds
    WHERE consumer = $upstream
)
SELECT s.purchase_date
FROM source s
INNER JOIN ops.order_day_builds b ON b.consumer = $consumer AND s.purchase_date = b.purchase_date
WHERE s.through > coalesce(b.raw_through, '-infinity'::TIMESTAMPTZ)
    AND NOT (s.purchase_date >= $start AND s.purchase_date < $end)
ORDER BY s.purchase_date
