-- marts.product_performance, a view: re-created with the warehouse's schema, so it is never stale against core.
CREATE OR REPLACE VIEW marts.product_performance AS
WITH sold AS (
    SELECT
        l.sku, l.marketplace_id, coalesce(l.currency, o.currency) AS currency,
        count(DISTINCT l.order_id) FILTER (WHERE o.status NOT IN ('cancelled', 'unfulfillable') AND NOT coalesce(l.cancelled, false)) AS orders,
        coalesce(sum(l.quantity_ordered - coalesce(l.quantity_cancelled, 0)) FILTER (WHERE o.status NOT IN ('cancelled', 'unfulfillable')), 0) AS units_ordered,
        coalesce(sum(l.quantity_shipped), 0) AS units_shipped,
        coalesce(sum(l.item_amount), 0) AS item_sales,
        coalesce(sum(l.promotion_discount), 0) AS promotions,
        coalesce(sum(l.item_tax), 0) AS tax,
        coalesce(sum(l.line_total), 0) AS buyer_paid,
        min(l.purchase_date) AS first_sold_date,
        max(l.purchase_date) AS last_sold_date
    FROM core.order_lines l
    JOIN core.orders o USING (order_id)
    GROUP BY ALL
),
settled AS (
    SELECT
        sku, marketplace_id, currency,
        coalesce(sum(amount) FILTER (WHERE line_class IN ('fee', 'service_fee')), 0) AS fees,
        coalesce(sum(amount) FILTER (WHERE transaction_type <> 'Order'
            AND line_class IN ('principal', 'shipping', 'tax', 'other_charge', 'promotion')), 0) AS refunds,
        count(DISTINCT coalesce(adjustment_id, order_id)) FILTER (WHERE transaction_type = 'Refund') AS refund_count,
        sum(amount) AS net_settled
    FROM core.settlement_lines
    WHERE sku IS NOT NULL
    GROUP BY ALL
)
SELECT
    sku, marketplace_id, currency, p.asin, p.title,
    coalesce(s.orders, 0) AS orders, coalesce(s.units_ordered, 0) AS units_ordered, coalesce(s.units_shipped, 0) AS units_shipped,
    coalesce(s.item_sales, 0) AS item_sales, coalesce(s.promotions, 0) AS promotions, coalesce(s.tax, 0) AS tax,
    coalesce(s.buyer_paid, 0) AS buyer_paid, coalesce(t.fees, 0) AS fees, coalesce(t.refunds, 0) AS refunds,
    coalesce(t.refund_count, 0) AS refund_count, coalesce(t.net_settled, 0) AS net_settled,
    s.first_sold_date, s.last_sold_date
FROM sold s
FULL OUTER JOIN settled t USING (sku, marketplace_id, currency)
LEFT JOIN core.products p USING (sku, marketplace_id);
COMMENT ON VIEW marts.product_performance IS 'Per SKU, marketplace and currency, all time: what sold (orders, units, sales) and what it settled for (fees, refunds, net).';
COMMENT ON COLUMN marts.product_performance.sku IS 'Seller SKU.';
COMMENT ON COLUMN marts.product_performance.marketplace_id IS 'Marketplace.';
COMMENT ON COLUMN marts.product_performance.currency IS 'ISO 4217 currency of every amount in the row.';
COMMENT ON COLUMN marts.product_performance.asin IS 'ASIN (core.products).';
COMMENT ON COLUMN marts.product_performance.title IS 'Product title (core.products).';
COMMENT ON COLUMN marts.product_performance.orders IS 'Orders with this SKU that are not cancelled (nor is its line).';
COMMENT ON COLUMN marts.product_performance.units_ordered IS 'Units ordered on orders that are not cancelled, less the units cancelled inside them.';
COMMENT ON COLUMN marts.product_performance.units_shipped IS 'Units shipped.';
COMMENT ON COLUMN marts.product_performance.item_sales IS 'Item prices x quantities (VAT included where prices include tax).';
COMMENT ON COLUMN marts.product_performance.promotions IS 'Promotion discounts, negative.';
COMMENT ON COLUMN marts.product_performance.tax IS 'Tax Amazon reported on these lines.';
COMMENT ON COLUMN marts.product_performance.buyer_paid IS 'What buyers paid for these lines.';
COMMENT ON COLUMN marts.product_performance.fees IS 'Settled fees on the SKU (commission, FBA...), signed.';
COMMENT ON COLUMN marts.product_performance.refunds IS 'Settled refunds on the SKU, negative.';
COMMENT ON COLUMN marts.product_performance.refund_count IS 'Refunds settled for the SKU.';
COMMENT ON COLUMN marts.product_performance.net_settled IS 'Sum of every settlement line with this SKU.';
COMMENT ON COLUMN marts.product_performance.first_sold_date IS 'First purchase_date with this SKU.';
COMMENT ON COLUMN marts.product_performance.last_sold_date IS 'Latest purchase_date with this SKU.';
