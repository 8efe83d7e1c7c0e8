-- marts.daily_sales_local, a view: sales per LOCAL purchase day, in each marketplace's own calendar (its time
-- zone in core.marketplaces). "Black Friday in Germany" is a Berlin day, and an order placed at 23:30 UTC on a
-- Berlin evening belongs to the next Berlin day. A view, not a table: a local day straddles two UTC partitions,
-- so it is computed from core whenever it is read and is never half built.
CREATE OR REPLACE VIEW marts.daily_sales_local AS
WITH lines AS (
    SELECT order_id, sum(quantity_ordered - coalesce(quantity_cancelled, 0)) AS units_ordered, sum(quantity_shipped) AS units_shipped
    FROM core.order_lines
    GROUP BY order_id
),
local_orders AS (
    SELECT o.*, m.time_zone
    FROM core.orders o
    JOIN core.marketplaces m USING (marketplace_id)
)
SELECT
    o.purchase_local_date,
    o.marketplace_id,
    any_value(o.sales_channel) AS sales_channel,
    any_value(o.time_zone) AS time_zone,
    o.currency,
    CAST(count(*) AS INTEGER) AS orders,
    CAST(count(*) FILTER (WHERE o.status IN ('cancelled', 'unfulfillable')) AS INTEGER) AS cancelled_orders,
    CAST(count(*) FILTER (WHERE o.status = 'pending') AS INTEGER) AS pending_orders,
    CAST(coalesce(sum(l.units_ordered) FILTER (WHERE o.status NOT IN ('cancelled', 'unfulfillable')), 0) AS BIGINT) AS units_ordered,
    CAST(coalesce(sum(l.units_shipped), 0) AS BIGINT) AS units_shipped,
    coalesce(sum(o.item_subtotal), 0) AS item_sales,
    coalesce(sum(o.shipping_total), 0) AS shipping,
    coalesce(sum(o.discount_total), 0) AS promotions,
    coalesce(sum(o.tax_total), 0) AS tax,
    coalesce(sum(o.order_total), 0) AS buyer_paid,
    coalesce(sum(o.order_total), 0) - coalesce(sum(o.tax_total) FILTER (WHERE o.order_total IS NOT NULL), 0) AS sales_ex_tax
FROM local_orders o
LEFT JOIN lines l USING (order_id)
GROUP BY o.purchase_local_date, o.marketplace_id, o.currency;
COMMENT ON VIEW marts.daily_sales_local IS 'marts.daily_sales by the marketplace''s LOCAL calendar day (core.marketplaces.time_zone) instead of the UTC day; the same orders and money, 1-2 orders a day sit on another day than in daily_sales.';
COMMENT ON COLUMN marts.daily_sales_local.purchase_local_date IS 'Day the orders were placed in the marketplace''s own time zone, e.g. Europe/Berlin for Amazon.de.';
COMMENT ON COLUMN marts.daily_sales_local.marketplace_id IS 'Marketplace (core.marketplaces).';
COMMENT ON COLUMN marts.daily_sales_local.sales_channel IS 'Marketplace name, e.g. Amazon.de.';
COMMENT ON COLUMN marts.daily_sales_local.time_zone IS 'IANA time zone whose calendar purchase_local_date follows.';
COMMENT ON COLUMN marts.daily_sales_local.currency IS 'ISO 4217 currency of every amount in the row.';
COMMENT ON COLUMN marts.daily_sales_local.orders IS 'Orders placed, every status.';
COMMENT ON COLUMN marts.daily_sales_local.cancelled_orders IS 'Of those, cancelled or unfulfillable (no amounts).';
COMMENT ON COLUMN marts.daily_sales_local.pending_orders IS 'Of those, still pending (no amounts yet).';
COMMENT ON COLUMN marts.daily_sales_local.units_ordered IS 'Units ordered on orders that are not cancelled, less the units cancelled inside them.';
COMMENT ON COLUMN marts.daily_sales_local.units_shipped IS 'Units shipped so far.';
COMMENT ON COLUMN marts.daily_sales_local.item_sales IS 'Item prices x quantities (as in daily_sales).';
COMMENT ON COLUMN marts.daily_sales_local.shipping IS 'Shipping charged to buyers.';
COMMENT ON COLUMN marts.daily_sales_local.promotions IS 'Promotion discounts on items and shipping, negative.';
COMMENT ON COLUMN marts.daily_sales_local.tax IS 'Tax amounts Amazon reported.';
COMMENT ON COLUMN marts.daily_sales_local.buyer_paid IS 'What buyers paid: sum of core.orders.order_total.';
COMMENT ON COLUMN marts.daily_sales_local.sales_ex_tax IS 'buyer_paid - tax.';
