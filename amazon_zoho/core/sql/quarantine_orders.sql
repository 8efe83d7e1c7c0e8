-- Rejected orders of the window, with the latest raw version (PII already split off) as raw_text.
DELETE FROM ops.quarantine WHERE source = 'core_orders' AND partition_date >= $start AND partition_date < $end;

INSERT INTO ops.quarantine (source, partition_date, record_key, reason, raw_text, run_id)
SELECT 'core_orders', v.purchase_date, r.order_id, r.reason, v.payload::VARCHAR, $run_id
FROM order_rejects r
JOIN raw.order_versions v ON v.order_id = r.order_id AND v.purchase_date >= $start AND v.purchase_date < $end
QUALIFY row_number() OVER (PARTITION BY v.order_id ORDER BY v.last_updated_time DESC NULLS LAST, v.fetched_at DESC) = 1;
