-- Purchase days in [$first, $last] whose raw orders moved past what the Zoho push $consumer last sent (its build
-- recorded the raw_through of the core_orders build it read), with how far raw has got. A day the push never built
-- counts only from $never_pushed_from on (today's open day, and yesterday until the daily run finalizes it): older
-- ones are loaded whole by their own partition run, never published from a few changed orders.
SELECT
    s.purchase_date,
    s.through
FROM order_day_source('raw') s
LEFT JOIN ops.order_day_builds b ON b.consumer = $consumer AND s.purchase_date = b.purchase_date
WHERE
    s.through > coalesce(b.raw_through, '-infinity'::TIMESTAMPTZ)
    AND s.purchase_date BETWEEN $first AND $last
    AND (b.purchase_date IS NOT NULL OR s.purchase_date >= $never_pushed_from)
ORDER BY s.purchase_date
