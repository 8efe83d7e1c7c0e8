-- marts.unsettled_orders, a view: re-created with the warehouse's schema, so it is never stale against core.
CREATE OR REPLACE VIEW marts.unsettled_orders AS
WITH covered AS (
    -- How far each marketplace's loaded settlements reach: an order shipped before that should be in one.
    SELECT marketplace_id, max(period_end) AS settled_through FROM core.settlements GROUP BY marketplace_id
)
SELECT
    o.order_id, o.marketplace_id, o.currency, o.purchase_date, o.status, o.fulfillment_channel, o.order_total,
    o.shipped_ts, c.settled_through,
    current_date - o.purchase_date AS age_days,
    CASE WHEN o.shipped_ts IS NOT NULL THEN current_date - CAST(o.shipped_ts AS DATE) END AS days_since_shipped,
    coalesce(o.shipped_ts < c.settled_through, false) AS overdue
FROM core.orders o
LEFT JOIN covered c USING (marketplace_id)
WHERE o.order_total IS NOT NULL
  AND o.status NOT IN ('cancelled', 'unfulfillable', 'pending')
  AND NOT EXISTS (SELECT 1 FROM core.settlement_lines l WHERE l.order_id = o.order_id AND l.transaction_type = 'Order');
COMMENT ON VIEW marts.unsettled_orders IS 'Priced orders no settlement has paid yet, with their age. Amazon settles an order after it ships, about every 14 days, and holds the last 3 days back in reserve.';
COMMENT ON COLUMN marts.unsettled_orders.order_id IS 'Amazon order id.';
COMMENT ON COLUMN marts.unsettled_orders.marketplace_id IS 'Marketplace of the order.';
COMMENT ON COLUMN marts.unsettled_orders.currency IS 'ISO 4217 currency of order_total.';
COMMENT ON COLUMN marts.unsettled_orders.purchase_date IS 'UTC day the order was placed.';
COMMENT ON COLUMN marts.unsettled_orders.status IS 'Normalized order status: unshipped orders are not due yet.';
COMMENT ON COLUMN marts.unsettled_orders.fulfillment_channel IS 'AFN (FBA) or MFN.';
COMMENT ON COLUMN marts.unsettled_orders.order_total IS 'What the buyer paid, still to be settled.';
COMMENT ON COLUMN marts.unsettled_orders.shipped_ts IS 'When it shipped (core.orders.shipped_ts); NULL if not yet.';
COMMENT ON COLUMN marts.unsettled_orders.settled_through IS 'End of the latest settlement period loaded for the marketplace.';
COMMENT ON COLUMN marts.unsettled_orders.age_days IS 'Days since purchase, as of today (UTC) when queried.';
COMMENT ON COLUMN marts.unsettled_orders.days_since_shipped IS 'Days since shipment, as of today (UTC) when queried.';
COMMENT ON COLUMN marts.unsettled_orders.overdue IS 'True when it shipped before settled_through yet no loaded settlement paid it: worth asking Amazon about.';
