-- Orders of the window kept out of core (ops.quarantine): listed so that nothing disappears silently.
SELECT source, record_key AS order_id, reason
FROM ops.quarantine
WHERE source IN ('raw_orders', 'order_report', 'core_orders') AND partition_date >= $start AND partition_date < $end
ORDER BY record_key
