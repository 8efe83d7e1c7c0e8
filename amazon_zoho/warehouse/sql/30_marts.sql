-- marts: what analysts query. Two shapes, chosen by grain:
--   tables  (daily_sales, fees): one row per day or settlement period, rebuilt per partition window by their
--           asset (delete the window, insert it), so they are as fresh as the core partitions they read;
--   views   (settlement_reconciliation, settlement_line_matches, settlement_deposits, unsettled_orders,
--           product_performance): answers that span partitions (an order bought on day D settles on D+14 and
--           is refunded on D+30), so a view is never stale against core and costs nothing to store.
-- The comments are the data dictionary (Dagster's column schema is generated from them: core/docs.py).
-- A view is re-created here on every writing connection, and its column comments after it.
BEGIN TRANSACTION;  -- one commit for the whole file: hundreds of COMMENTs cost one WAL flush, not one each

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
    tax              DECIMAL(18, 2),
    buyer_paid       DECIMAL(18, 2),
    sales_ex_tax     DECIMAL(18, 2),
    PRIMARY KEY (purchase_date, marketplace_id, currency)
);
COMMENT ON TABLE marts.daily_sales IS 'Sales per purchase day, marketplace and currency, from core.orders and core.order_lines. Never adds up different currencies.';
COMMENT ON COLUMN marts.daily_sales.purchase_date IS 'UTC day the orders were placed.';
COMMENT ON COLUMN marts.daily_sales.marketplace_id IS 'Marketplace (core.marketplaces).';
COMMENT ON COLUMN marts.daily_sales.sales_channel IS 'Marketplace name, e.g. Amazon.de.';
COMMENT ON COLUMN marts.daily_sales.currency IS 'ISO 4217 currency of every amount in the row.';
COMMENT ON COLUMN marts.daily_sales.orders IS 'Orders placed, every status.';
COMMENT ON COLUMN marts.daily_sales.cancelled_orders IS 'Of those, cancelled or unfulfillable (no amounts).';
COMMENT ON COLUMN marts.daily_sales.pending_orders IS 'Of those, still pending (Amazon has not sent prices yet; no amounts).';
COMMENT ON COLUMN marts.daily_sales.units_ordered IS 'Units ordered on orders that are not cancelled.';
COMMENT ON COLUMN marts.daily_sales.units_shipped IS 'Units shipped so far.';
COMMENT ON COLUMN marts.daily_sales.item_sales IS 'Item prices x quantities (VAT included where the marketplace''s prices include tax).';
COMMENT ON COLUMN marts.daily_sales.shipping IS 'Shipping charged to buyers.';
COMMENT ON COLUMN marts.daily_sales.promotions IS 'Promotion discounts, negative.';
COMMENT ON COLUMN marts.daily_sales.tax IS 'Tax amounts Amazon reported (never computed from a rate).';
COMMENT ON COLUMN marts.daily_sales.buyer_paid IS 'What buyers paid: sum of core.orders.order_total.';
COMMENT ON COLUMN marts.daily_sales.sales_ex_tax IS 'buyer_paid - tax: revenue net of VAT/sales tax, comparable across tax conventions.';

CREATE TABLE IF NOT EXISTS marts.fees (
    settlement_id      VARCHAR NOT NULL,
    marketplace_id     VARCHAR,
    currency           VARCHAR NOT NULL,
    period_start       TIMESTAMPTZ,
    period_end         TIMESTAMPTZ,
    deposit_date       TIMESTAMPTZ,
    posted_date        DATE,
    line_class         VARCHAR NOT NULL,
    transaction_type   VARCHAR,
    amount_type        VARCHAR,
    amount_description VARCHAR,
    amount             DECIMAL(18, 2) NOT NULL,
    lines              INTEGER NOT NULL,
    end_date           DATE NOT NULL
);
COMMENT ON TABLE marts.fees IS 'What Amazon charged, by fee type and period: settlement lines classed fee, service_fee or subscription, per settlement and posting day.';
COMMENT ON COLUMN marts.fees.settlement_id IS 'The settlement the fees were booked in (core.settlements).';
COMMENT ON COLUMN marts.fees.marketplace_id IS 'Marketplace of the settlement.';
COMMENT ON COLUMN marts.fees.currency IS 'ISO 4217 currency of amount.';
COMMENT ON COLUMN marts.fees.period_start IS 'Start of the settlement period, UTC.';
COMMENT ON COLUMN marts.fees.period_end IS 'End of the settlement period, UTC.';
COMMENT ON COLUMN marts.fees.deposit_date IS 'When the settlement was paid out, UTC.';
COMMENT ON COLUMN marts.fees.posted_date IS 'UTC day Amazon posted the fees: group by month or week of this for calendar periods.';
COMMENT ON COLUMN marts.fees.line_class IS 'fee (per item: commission, FBA fulfilment, refund administration...), service_fee (advertising, services) or subscription (the selling plan).';
COMMENT ON COLUMN marts.fees.transaction_type IS 'As Amazon sends it: Order, Refund, other-transaction, ServiceFee...';
COMMENT ON COLUMN marts.fees.amount_type IS 'As Amazon sends it, e.g. ItemFees.';
COMMENT ON COLUMN marts.fees.amount_description IS 'The fee type as Amazon names it, e.g. Commission, FBAPerUnitFulfillmentFee, RefundCommission, Subscription Fee.';
COMMENT ON COLUMN marts.fees.amount IS 'Signed sum: negative is charged to the seller, positive is credited back (e.g. commission returned on a refund).';
COMMENT ON COLUMN marts.fees.lines IS 'Number of settlement lines summed.';
COMMENT ON COLUMN marts.fees.end_date IS 'The settlement''s end_date (the partition).';

CREATE OR REPLACE VIEW marts.settlement_line_matches AS
SELECT
    l.settlement_id, l.report_id, l.line_number, l.posted_ts, l.marketplace_id, l.currency,
    l.transaction_type, l.amount_type, l.amount_description, l.line_class, l.amount,
    l.order_id, l.order_item_code, l.sku,
    ol.order_item_id AS matched_order_item_id,
    CASE
        WHEN l.order_id IS NULL THEN 'account'
        WHEN ol.order_id IS NOT NULL THEN 'order_line'
        WHEN o.order_id IS NOT NULL THEN 'order'
        ELSE 'order_not_in_core'
    END AS matched_to
FROM core.settlement_lines l
LEFT JOIN core.orders o ON o.order_id = l.order_id
LEFT JOIN core.order_lines ol ON ol.order_id = l.order_id AND ol.order_item_id = l.order_item_code;
COMMENT ON VIEW marts.settlement_line_matches IS 'Every settlement line, matched to the order line it pays for or, when it concerns no order, classified by line_class (fee, reserve, transfer, adjustment, service fee, subscription...).';
COMMENT ON COLUMN marts.settlement_line_matches.settlement_id IS 'The settlement (core.settlements).';
COMMENT ON COLUMN marts.settlement_line_matches.report_id IS 'Report file the line came from (raw.settlement_reports.archive_path).';
COMMENT ON COLUMN marts.settlement_line_matches.line_number IS 'Line in that file (header = 1): to check a line by hand.';
COMMENT ON COLUMN marts.settlement_line_matches.posted_ts IS 'When Amazon posted the amount, UTC.';
COMMENT ON COLUMN marts.settlement_line_matches.marketplace_id IS 'Marketplace of the settlement.';
COMMENT ON COLUMN marts.settlement_line_matches.currency IS 'ISO 4217 currency of amount.';
COMMENT ON COLUMN marts.settlement_line_matches.transaction_type IS 'As Amazon sends it: Order, Refund, other-transaction...';
COMMENT ON COLUMN marts.settlement_line_matches.amount_type IS 'As Amazon sends it: ItemPrice, ItemFees, Promotion...';
COMMENT ON COLUMN marts.settlement_line_matches.amount_description IS 'As Amazon sends it: Principal, Commission, Current Reserve Amount...';
COMMENT ON COLUMN marts.settlement_line_matches.line_class IS 'What the money is (core.settlement_lines.line_class).';
COMMENT ON COLUMN marts.settlement_line_matches.amount IS 'Signed amount: positive paid to the seller, negative charged.';
COMMENT ON COLUMN marts.settlement_line_matches.order_id IS 'Amazon order id, for order-related lines.';
COMMENT ON COLUMN marts.settlement_line_matches.order_item_code IS 'orderItemId as written in the settlement file.';
COMMENT ON COLUMN marts.settlement_line_matches.sku IS 'Seller SKU as written in the settlement file.';
COMMENT ON COLUMN marts.settlement_line_matches.matched_order_item_id IS 'The core.order_lines item this line pays for; NULL when unmatched.';
COMMENT ON COLUMN marts.settlement_line_matches.matched_to IS 'order_line (matched to core.order_lines), order (order known, item not), order_not_in_core (bought before the warehouse''s start date, or quarantined), account (not about an order: see line_class).';

CREATE OR REPLACE VIEW marts.settlement_reconciliation AS
WITH settled AS (
    SELECT
        order_id,
        any_value(currency) AS currency,
        coalesce(sum(amount) FILTER (WHERE transaction_type = 'Order' AND line_class = 'principal'), 0) AS settled_principal,
        coalesce(sum(amount) FILTER (WHERE transaction_type = 'Order' AND line_class = 'shipping'), 0) AS settled_shipping,
        coalesce(sum(amount) FILTER (WHERE transaction_type = 'Order' AND line_class = 'tax'), 0) AS settled_tax,
        coalesce(sum(amount) FILTER (WHERE transaction_type = 'Order' AND line_class = 'other_charge'), 0) AS settled_other_charges,
        coalesce(sum(amount) FILTER (WHERE transaction_type = 'Order' AND line_class = 'promotion'), 0) AS settled_promotions,
        coalesce(sum(amount) FILTER (WHERE line_class = 'withheld_tax'), 0) AS withheld_tax,
        coalesce(sum(amount) FILTER (WHERE line_class IN ('fee', 'service_fee', 'subscription')), 0) AS fees,
        coalesce(sum(amount) FILTER (WHERE transaction_type <> 'Order'
            AND line_class IN ('principal', 'shipping', 'tax', 'other_charge', 'promotion')), 0) AS refunds,
        coalesce(sum(amount) FILTER (WHERE line_class IN ('reserve', 'transfer', 'adjustment', 'other')), 0) AS other,
        sum(amount) AS net_settled,
        count(*) AS settlement_lines,
        list(DISTINCT settlement_id ORDER BY settlement_id) AS settlement_ids,
        max(posted_ts) AS last_posted_ts
    FROM core.settlement_lines
    WHERE order_id IS NOT NULL
    GROUP BY order_id
),
joined AS (
    SELECT
        coalesce(o.order_id, s.order_id) AS order_id,
        o.marketplace_id, coalesce(o.currency, s.currency) AS currency, o.purchase_date, o.status,
        o.order_total AS sold, o.item_subtotal AS sold_principal, o.shipping_total AS sold_shipping, o.tax_total AS sold_tax,
        o.discount_total AS sold_promotions, o.prices_include_tax,
        coalesce(s.settled_principal, 0) AS settled_principal, coalesce(s.settled_shipping, 0) AS settled_shipping,
        coalesce(s.settled_tax, 0) AS settled_tax, coalesce(s.settled_other_charges, 0) AS settled_other_charges,
        coalesce(s.settled_promotions, 0) AS settled_promotions,
        coalesce(s.withheld_tax, 0) AS withheld_tax, coalesce(s.fees, 0) AS fees, coalesce(s.refunds, 0) AS refunds,
        coalesce(s.other, 0) AS other, coalesce(s.net_settled, 0) AS net_settled,
        coalesce(s.settlement_lines, 0) AS settlement_lines, s.settlement_ids, s.last_posted_ts,
        o.order_id IS NOT NULL AS in_core, s.order_id IS NOT NULL AS in_settlements
    FROM core.orders o
    FULL OUTER JOIN settled s USING (order_id)
)
SELECT
    * EXCLUDE (in_core, in_settlements),
    settled_principal + settled_shipping + settled_tax + settled_other_charges + settled_promotions AS settled_sale,
    CASE WHEN in_core THEN coalesce(sold, 0) - (settled_principal + settled_shipping + settled_tax + settled_other_charges + settled_promotions) END AS difference,
    CASE
        WHEN NOT in_core THEN 'order_not_in_core'
        WHEN NOT in_settlements AND sold IS NULL THEN 'nothing_to_settle'
        WHEN NOT in_settlements THEN 'unsettled'
        WHEN coalesce(sold, 0) = settled_principal + settled_shipping + settled_tax + settled_other_charges + settled_promotions THEN 'settled'
        ELSE 'difference'
    END AS reconciliation_status
FROM joined;
COMMENT ON VIEW marts.settlement_reconciliation IS 'Per order: what was sold (order proceeds) against what settled (principal, tax, shipping, promotions, then fees, refunds and withheld tax), with the difference and a status.';
COMMENT ON COLUMN marts.settlement_reconciliation.order_id IS 'Amazon order id.';
COMMENT ON COLUMN marts.settlement_reconciliation.marketplace_id IS 'Marketplace of the order (NULL for orders not in core).';
COMMENT ON COLUMN marts.settlement_reconciliation.currency IS 'ISO 4217 currency of every amount in the row.';
COMMENT ON COLUMN marts.settlement_reconciliation.purchase_date IS 'UTC day the order was placed.';
COMMENT ON COLUMN marts.settlement_reconciliation.status IS 'Normalized order status (core.orders.status).';
COMMENT ON COLUMN marts.settlement_reconciliation.sold IS 'What the buyer paid (core.orders.order_total); NULL when Amazon sent no prices (pending, cancelled).';
COMMENT ON COLUMN marts.settlement_reconciliation.sold_principal IS 'Item prices of the order (core.orders.item_subtotal).';
COMMENT ON COLUMN marts.settlement_reconciliation.sold_shipping IS 'Shipping charged (core.orders.shipping_total).';
COMMENT ON COLUMN marts.settlement_reconciliation.sold_tax IS 'Tax Amazon reported on the order (contained in sold where prices include tax).';
COMMENT ON COLUMN marts.settlement_reconciliation.sold_promotions IS 'Promotion discounts, negative (core.orders.discount_total).';
COMMENT ON COLUMN marts.settlement_reconciliation.prices_include_tax IS 'Tax convention of the marketplace (core.marketplaces): true means sold_tax is inside sold, false means it is added.';
COMMENT ON COLUMN marts.settlement_reconciliation.settled_principal IS 'Order lines classed principal (ItemPrice/Principal).';
COMMENT ON COLUMN marts.settlement_reconciliation.settled_shipping IS 'Order lines classed shipping (ItemPrice/Shipping).';
COMMENT ON COLUMN marts.settlement_reconciliation.settled_tax IS 'Order lines classed tax (ItemPrice/Tax, ShippingTax): only where tax is added (US, CA).';
COMMENT ON COLUMN marts.settlement_reconciliation.settled_other_charges IS 'Other ItemPrice lines on Order rows (gift wrap, COD...).';
COMMENT ON COLUMN marts.settlement_reconciliation.settled_promotions IS 'Order lines classed promotion, negative.';
COMMENT ON COLUMN marts.settlement_reconciliation.withheld_tax IS 'Marketplace-facilitator tax Amazon collected and remits itself (ItemWithheldTax), on orders and refunds; cancels settled_tax.';
COMMENT ON COLUMN marts.settlement_reconciliation.fees IS 'Fees on the order (commission, FBA fulfilment, refund administration), signed: negative charged, positive credited.';
COMMENT ON COLUMN marts.settlement_reconciliation.refunds IS 'Money returned to the buyer on Refund (and other non-Order) rows: principal, shipping, tax and promotion given back, signed.';
COMMENT ON COLUMN marts.settlement_reconciliation.other IS 'Any other order-linked lines (adjustments, reimbursements).';
COMMENT ON COLUMN marts.settlement_reconciliation.net_settled IS 'Sum of every settlement line of the order: what the order paid out, net of everything.';
COMMENT ON COLUMN marts.settlement_reconciliation.settlement_lines IS 'Number of settlement lines of the order.';
COMMENT ON COLUMN marts.settlement_reconciliation.settlement_ids IS 'Settlements the order appears in (a refund often lands in a later one).';
COMMENT ON COLUMN marts.settlement_reconciliation.last_posted_ts IS 'When the latest settlement line of the order was posted.';
COMMENT ON COLUMN marts.settlement_reconciliation.settled_sale IS 'settled_principal + settled_shipping + settled_tax + settled_other_charges + settled_promotions: the sale as settled, before fees and refunds.';
COMMENT ON COLUMN marts.settlement_reconciliation.difference IS 'sold - settled_sale, to the cent. 0 once the order settled in full; the whole sale while it is unsettled; NULL for orders not in core.';
COMMENT ON COLUMN marts.settlement_reconciliation.reconciliation_status IS 'settled (difference 0), difference (settled, but not to the cent: look here), unsettled (priced, no settlement line yet), nothing_to_settle (pending or cancelled), order_not_in_core (settled order bought before the start date or quarantined).';

CREATE OR REPLACE VIEW marts.settlement_deposits AS
WITH sums AS (
    SELECT
        settlement_id,
        count(*) AS lines,
        sum(amount) AS lines_total,
        coalesce(sum(amount) FILTER (WHERE transaction_type = 'Order' AND line_class IN ('principal', 'shipping', 'tax', 'other_charge', 'promotion')), 0) AS sales,
        coalesce(sum(amount) FILTER (WHERE transaction_type <> 'Order' AND line_class IN ('principal', 'shipping', 'tax', 'other_charge', 'promotion')), 0) AS refunds,
        coalesce(sum(amount) FILTER (WHERE line_class = 'withheld_tax'), 0) AS withheld_tax,
        coalesce(sum(amount) FILTER (WHERE line_class = 'fee'), 0) AS fees,
        coalesce(sum(amount) FILTER (WHERE line_class = 'service_fee'), 0) AS service_fees,
        coalesce(sum(amount) FILTER (WHERE line_class = 'subscription'), 0) AS subscription,
        coalesce(sum(amount) FILTER (WHERE line_class = 'reserve'), 0) AS reserve,
        coalesce(sum(amount) FILTER (WHERE line_class IN ('transfer', 'adjustment', 'other')), 0) AS other
    FROM core.settlement_lines
    GROUP BY settlement_id
)
SELECT
    s.settlement_id, s.report_id, s.marketplace_id, s.currency, s.period_start, s.period_end, s.deposit_date,
    s.total_amount AS deposit, coalesce(m.lines_total, 0) AS lines_total, s.total_amount - coalesce(m.lines_total, 0) AS difference,
    coalesce(m.lines, 0) AS lines,
    m.sales, m.refunds, m.withheld_tax, m.fees, m.service_fees, m.subscription, m.reserve, m.other
FROM core.settlements s
LEFT JOIN sums m USING (settlement_id);
COMMENT ON VIEW marts.settlement_deposits IS 'Per settlement: the deposit against the sum of its lines, and that sum split by what the money is. difference <> 0 only when lines were quarantined.';
COMMENT ON COLUMN marts.settlement_deposits.settlement_id IS 'Amazon settlement id.';
COMMENT ON COLUMN marts.settlement_deposits.report_id IS 'Report file (raw.settlement_reports.archive_path holds its archived copy).';
COMMENT ON COLUMN marts.settlement_deposits.marketplace_id IS 'Marketplace paid out.';
COMMENT ON COLUMN marts.settlement_deposits.currency IS 'ISO 4217 currency of every amount in the row.';
COMMENT ON COLUMN marts.settlement_deposits.period_start IS 'Start of the settlement period, UTC.';
COMMENT ON COLUMN marts.settlement_deposits.period_end IS 'End of the settlement period, UTC.';
COMMENT ON COLUMN marts.settlement_deposits.deposit_date IS 'When Amazon pays out, UTC.';
COMMENT ON COLUMN marts.settlement_deposits.deposit IS 'The deposit total Amazon states (summary row).';
COMMENT ON COLUMN marts.settlement_deposits.lines_total IS 'Sum of the settlement''s lines in core.';
COMMENT ON COLUMN marts.settlement_deposits.difference IS 'deposit - lines_total: 0.00 unless rows of the file were quarantined (ops.quarantine WHERE record_key = report_id).';
COMMENT ON COLUMN marts.settlement_deposits.lines IS 'Number of lines in core.';
COMMENT ON COLUMN marts.settlement_deposits.sales IS 'Order rows: principal, shipping, tax and promotions.';
COMMENT ON COLUMN marts.settlement_deposits.refunds IS 'Refund rows: what went back to buyers.';
COMMENT ON COLUMN marts.settlement_deposits.withheld_tax IS 'Marketplace-facilitator tax withheld by Amazon.';
COMMENT ON COLUMN marts.settlement_deposits.fees IS 'Per-item fees (commission, FBA, refund administration), signed.';
COMMENT ON COLUMN marts.settlement_deposits.service_fees IS 'Service fees (advertising...).';
COMMENT ON COLUMN marts.settlement_deposits.subscription IS 'Selling plan subscription.';
COMMENT ON COLUMN marts.settlement_deposits.reserve IS 'Reserve held (negative) and released (positive).';
COMMENT ON COLUMN marts.settlement_deposits.other IS 'Transfers, adjustments and unrecognised lines.';

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

CREATE OR REPLACE VIEW marts.product_performance AS
WITH sold AS (
    SELECT
        l.sku, l.marketplace_id, coalesce(l.currency, o.currency) AS currency,
        count(DISTINCT l.order_id) FILTER (WHERE o.status NOT IN ('cancelled', 'unfulfillable')) AS orders,
        coalesce(sum(l.quantity_ordered) FILTER (WHERE o.status NOT IN ('cancelled', 'unfulfillable')), 0) AS units_ordered,
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
COMMENT ON COLUMN marts.product_performance.orders IS 'Orders with this SKU that are not cancelled.';
COMMENT ON COLUMN marts.product_performance.units_ordered IS 'Units ordered on orders that are not cancelled.';
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
COMMIT;
