-- marts.daily_sales, a table: its DDL and data dictionary, applied with the warehouse's schema; then its build for one
-- partition window (the statements that use $start and $end), which the mart's asset runs.
CREATE TABLE IF NOT EXISTS marts.daily_sales (
    purchase_date    DATE NOT NULL,
    marketplace_id   VARCHAR NOT NULL,
    sales_channel    VARCHAR,
    currency         VARCHAR NOT NULL,
    orders           INTEGER NOT NULL,
    cancelled_orders INTEGER NOT NULL,
    pending_orders   INTEGER NOT NULL,
    units_ordered    BIGINT,
    units_shipped    BIGINT,
    item_sales       DECIMAL(18, 2),
    shipping         DECIMAL(18, 2),
    promotions       DECIMAL(18, 2),
    gift_wrap        DECIMAL(18, 2),
    other_charges    DECIMAL(18, 2),
    delivery_tips    DECIMAL(18, 2),
    tax              DECIMAL(18, 2),
    buyer_paid       DECIMAL(18, 2),
    sales_ex_tax     DECIMAL(18, 2),
    PRIMARY KEY (purchase_date, marketplace_id, currency)
);
ALTER TABLE marts.daily_sales ADD COLUMN IF NOT EXISTS gift_wrap DECIMAL(18, 2);
ALTER TABLE marts.daily_sales ADD COLUMN IF NOT EXISTS other_charges DECIMAL(18, 2);
ALTER TABLE marts.daily_sales ADD COLUMN IF NOT EXISTS delivery_tips DECIMAL(18, 2);
COMMENT ON TABLE marts.daily_sales IS 'Sales per purchase day, marketplace and currency, from core.orders and core.order_lines. Never adds up different currencies.';
COMMENT ON COLUMN marts.daily_sales.purchase_date IS 'UTC day the orders were placed.';
COMMENT ON COLUMN marts.daily_sales.marketplace_id IS 'Marketplace (core.marketplaces).';
COMMENT ON COLUMN marts.daily_sales.sales_channel IS 'Marketplace name, e.g. Amazon.de.';
COMMENT ON COLUMN marts.daily_sales.currency IS 'ISO 4217 currency of every amount in the row.';
COMMENT ON COLUMN marts.daily_sales.orders IS 'Orders placed, every status.';
COMMENT ON COLUMN marts.daily_sales.cancelled_orders IS 'Of those, cancelled or unfulfillable (no amounts).';
COMMENT ON COLUMN marts.daily_sales.pending_orders IS 'Of those, still pending (Amazon has not sent prices yet; no amounts).';
COMMENT ON COLUMN marts.daily_sales.units_ordered IS 'Units ordered on orders that are not cancelled, less the units cancelled inside them.';
COMMENT ON COLUMN marts.daily_sales.units_shipped IS 'Units shipped so far.';
COMMENT ON COLUMN marts.daily_sales.item_sales IS 'Item prices x quantities (tax included where the order''s amounts include it: core.orders.prices_include_tax).';
COMMENT ON COLUMN marts.daily_sales.shipping IS 'Shipping charged to buyers.';
COMMENT ON COLUMN marts.daily_sales.promotions IS 'Promotion discounts on items and shipping, negative.';
COMMENT ON COLUMN marts.daily_sales.gift_wrap IS 'Gift wrap charged to buyers.';
COMMENT ON COLUMN marts.daily_sales.other_charges IS 'Cash-on-delivery fees and other charges to buyers (proceeds COD_FEE and OTHER).';
COMMENT ON COLUMN marts.daily_sales.delivery_tips IS 'Delivery tips (order level, in buyer_paid; pending ones included).';
COMMENT ON COLUMN marts.daily_sales.tax IS 'Tax amounts Amazon reported (never computed from a rate).';
COMMENT ON COLUMN marts.daily_sales.buyer_paid IS 'What buyers paid: sum of core.orders.order_total = item_sales + shipping + promotions + gift_wrap + other_charges + delivery_tips, + tax where it is added on top.';
COMMENT ON COLUMN marts.daily_sales.sales_ex_tax IS 'buyer_paid - tax: revenue net of VAT/sales tax, comparable across tax conventions.';

-- marts.daily_sales for the window: delete, then insert (one row per day, marketplace and currency).
DELETE FROM marts.daily_sales WHERE purchase_date >= $start AND purchase_date < $end;

INSERT INTO marts.daily_sales BY NAME
WITH lines AS (
    SELECT order_id, sum(quantity_ordered - coalesce(quantity_cancelled, 0)) AS units_ordered, sum(quantity_shipped) AS units_shipped
    FROM core.order_lines
    WHERE purchase_date >= $start AND purchase_date < $end
    GROUP BY order_id
)
SELECT
    o.purchase_date,
    o.marketplace_id,
    any_value(o.sales_channel) AS sales_channel,
    o.currency,
    count(*) AS orders,
    count(*) FILTER (WHERE o.status IN ('cancelled', 'unfulfillable')) AS cancelled_orders,
    count(*) FILTER (WHERE o.status = 'pending') AS pending_orders,
    coalesce(sum(l.units_ordered) FILTER (WHERE o.status NOT IN ('cancelled', 'unfulfillable')), 0) AS units_ordered,
    coalesce(sum(l.units_shipped), 0) AS units_shipped,
    coalesce(sum(o.item_subtotal), 0) AS item_sales,
    coalesce(sum(o.shipping_total), 0) AS shipping,
    coalesce(sum(o.discount_total), 0) AS promotions,
    coalesce(sum(o.gift_wrap_total), 0) AS gift_wrap,
    coalesce(sum(o.cod_fee_total), 0) + coalesce(sum(o.other_total), 0) AS other_charges,
    coalesce(sum(o.delivery_tip), 0) AS delivery_tips,
    coalesce(sum(o.tax_total), 0) AS tax,
    coalesce(sum(o.order_total), 0) AS buyer_paid,
    coalesce(sum(o.order_total), 0) - coalesce(sum(o.tax_total) FILTER (WHERE o.order_total IS NOT NULL), 0) AS sales_ex_tax
FROM core.orders o
LEFT JOIN lines l USING (order_id)
WHERE o.purchase_date >= $start AND o.purchase_date < $end
GROUP BY o.purchase_date, o.marketplace_id, o.currency;
