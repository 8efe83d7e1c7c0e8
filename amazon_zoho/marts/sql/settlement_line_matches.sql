-- marts.settlement_line_matches, a view: re-created with the warehouse's schema, so it is never stale against core.
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
