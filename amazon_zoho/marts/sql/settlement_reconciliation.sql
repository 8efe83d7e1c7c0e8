-- marts.settlement_reconciliation, a view: re-created with the warehouse's schema, so it is never stale against core.
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
        o.discount_total AS sold_promotions, o.gift_wrap_total AS sold_gift_wrap, o.delivery_tip AS sold_delivery_tip, o.prices_include_tax,
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
    CASE WHEN in_core THEN coalesce(sold, 0) - coalesce(sold_delivery_tip, 0)
        - (settled_principal + settled_shipping + settled_tax + settled_other_charges + settled_promotions) END AS difference,
    CASE
        WHEN NOT in_core THEN 'order_not_in_core'
        WHEN NOT in_settlements AND sold IS NULL THEN 'nothing_to_settle'
        WHEN NOT in_settlements THEN 'unsettled'
        WHEN coalesce(sold, 0) - coalesce(sold_delivery_tip, 0)
             = settled_principal + settled_shipping + settled_tax + settled_other_charges + settled_promotions THEN 'settled'
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
COMMENT ON COLUMN marts.settlement_reconciliation.sold_gift_wrap IS 'Gift wrap charged (core.orders.gift_wrap_total); it settles as ItemPrice/GiftWrap (settled_other_charges).';
COMMENT ON COLUMN marts.settlement_reconciliation.sold_delivery_tip IS 'Delivery tip (core.orders.delivery_tip): in sold, but "charged separately" (Amazon''s model) and with no documented settlement row, so difference leaves it out.';
COMMENT ON COLUMN marts.settlement_reconciliation.prices_include_tax IS 'Tax convention of the order''s amounts (core.orders.prices_include_tax): true means sold_tax is inside sold, false means it is added.';
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
COMMENT ON COLUMN marts.settlement_reconciliation.difference IS 'sold - sold_delivery_tip - settled_sale, to the cent. 0 once the order settled in full; the whole sale while it is unsettled; NULL for orders not in core.';
COMMENT ON COLUMN marts.settlement_reconciliation.reconciliation_status IS 'settled (difference 0), difference (settled, but not to the cent: look here), unsettled (priced, no settlement line yet), nothing_to_settle (pending or cancelled), order_not_in_core (settled order bought before the start date or quarantined).';
