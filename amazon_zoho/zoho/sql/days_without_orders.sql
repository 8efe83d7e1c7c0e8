-- Days of the window with no Amazon order at all (worth a notification: a listing or the feed may be broken).
SELECT d::DATE AS day
FROM range($start::TIMESTAMP, $end::TIMESTAMP, INTERVAL 1 DAY) t (d)
WHERE d::DATE NOT IN (SELECT DISTINCT purchase_date FROM core.orders WHERE purchase_date >= $start AND purchase_date < $end)
ORDER BY day;
