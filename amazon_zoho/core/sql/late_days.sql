-- Purchase days outside the run's window [$start, $end) that $consumer built before and whose source moved past what
-- it built from: raw.order_versions when $upstream is 'raw' (core_orders), else the core_orders build it read (marts
-- and Zoho read core). Days never built are left alone: building one from a few late versions would publish a
-- partial day; its own partition run loads it whole.
SELECT s.purchase_date
FROM order_day_source($upstream) s
INNER JOIN ops.order_day_builds b ON b.consumer = $consumer AND s.purchase_date = b.purchase_date
WHERE s.through > coalesce(b.raw_through, '-infinity'::TIMESTAMPTZ)
    AND NOT (s.purchase_date >= $start AND s.purchase_date < $end)
ORDER BY s.purchase_date
