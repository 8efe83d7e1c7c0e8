-- Deletes buyer PII whose retention has run out. Amazon's Data Protection Policy: keep PII only as long as
-- needed to fulfil the order, "no longer than 30 days after order delivery" (README, API-FACTS §12b).
-- The clock starts at delivery: the end of the promised delivery window when Amazon sent one, else the ship
-- time (earlier, so the purge comes sooner, never later). Cancelled orders start it when they were cancelled;
-- orders we never modelled (quarantined) at purchase. Orders still to ship keep their PII: the address is
-- needed to ship them.
CREATE OR REPLACE TEMP TABLE pii_clock AS
SELECT
    c.order_id,
    o.status,
    CASE
        WHEN o.order_id IS NULL THEN coalesce(CAST(c.purchase_date AS TIMESTAMPTZ), c.fetched_at)
        WHEN o.status = 'shipped' THEN coalesce(o.latest_delivery_ts, o.shipped_ts, o.last_update_ts)
        WHEN o.status IN ('cancelled', 'unfulfillable') THEN coalesce(o.last_update_ts, o.purchase_ts)
    END AS clock_start
FROM pii.order_contacts c
LEFT JOIN core.orders o USING (order_id);

CREATE OR REPLACE TEMP TABLE pii_expired AS
SELECT order_id, status, clock_start
FROM pii_clock
WHERE clock_start + to_days(CAST($days AS INTEGER)) <= clock_now();

DELETE FROM pii.order_contacts WHERE order_id IN (SELECT order_id FROM pii_expired);
