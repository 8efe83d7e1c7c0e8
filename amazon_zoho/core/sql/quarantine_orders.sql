DELETE FROM ops.quarantine WHERE source = 'core_orders' AND partition_date >= $start AND partition_date < $end;

INSERT INTO ops.quarantine (source, partition_date, record_key, reason, raw_text, run_id)
SELECT 'core_orders', w.purchase_date, r.order_id, r.reason, v.payload::VARCHAR, $run_id
FROM order_rejects r
JOIN order_window w USING (order_id)
JOIN (
    SELECT order_id, payload FROM raw.order_versions
    QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY last_updated_time DESC NULLS LAST, fetched_at DESC) = 1
) v USING (order_id);
