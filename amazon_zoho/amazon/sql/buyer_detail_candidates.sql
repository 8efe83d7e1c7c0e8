-- Orders of the report just loaded that need getOrder for their buyer: merchant-fulfilled (FBA orders have
-- no buyer e-mail; they use the shared contact), in a state Amazon shows the buyer for, bought within the
-- buyer-data horizon, and not already held in this state (or a later one) with a buyer key.
SELECT o.order_id
FROM order_report_orders o
WHERE o.fulfilled_by = 'MERCHANT'
  AND list_contains($statuses, o.status)
  AND o.created_ts >= $pii_since
  AND NOT EXISTS (
        SELECT 1 FROM raw.order_versions v
        WHERE v.order_id = o.order_id AND v.last_updated_time >= o.updated_ts AND (v.payload ->> '$.buyerKey') IS NOT NULL)
-- The parentheses: DuckDB 1.5 binds ->> looser than AND (x AND p ->> k reads as (x AND p) ->> k); 2.0 does not.
ORDER BY o.created_ts, o.order_id;
