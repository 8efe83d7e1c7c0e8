-- core.orders for the window: delete, then insert, so re-runs replace rather than duplicate.
-- Amounts use TRY_CAST: DuckDB may evaluate casts before the reject filter; rejected orders never reach here.
-- Each amount is the order's proceeds breakdown of that type; an order that carries a grandTotal but no breakdowns
-- (the model's sandbox examples) gets the sum of its items' instead (order_window.sql, breakdown_sum: macros there).
DELETE FROM core.orders WHERE purchase_date >= $start AND purchase_date < $end;

INSERT INTO core.orders BY NAME
WITH lines AS (
    SELECT
        order_id, sum(item_amount) AS item_amount, sum(item_tax) AS item_tax, sum(shipping) AS shipping,
        sum(promotion_discount) AS promotion_discount, sum(gift_wrap) AS gift_wrap, sum(cod_fee) AS cod_fee,
        sum(other_charges) AS other_charges
    FROM item_window
    GROUP BY order_id
),
typed AS (
    SELECT w.*, coalesce(len(w.proceeds.breakdowns), 0) > 0 AS has_breakdowns
    FROM order_window w
    WHERE w.order_id NOT IN (SELECT order_id FROM order_rejects)
)
SELECT
    w.order_id,
    w.marketplace_id,
    w.sales_channel,
    w.purchase_date,
    w.purchase_ts,
    CAST(timezone(m.time_zone, w.purchase_ts) AS DATE) AS purchase_local_date,
    w.last_updated_time AS last_update_ts,
    w.fulfillment_channel,
    w.order_status,
    w.status,
    coalesce(w.proceeds.grandTotal.currencyCode, m.currency) AS currency,
    TRY_CAST(w.proceeds.grandTotal.amount AS DECIMAL(18, 2)) AS order_total,
    CASE WHEN w.has_breakdowns THEN breakdown_sum(w.proceeds.breakdowns, 'ITEM') WHEN w.proceeds.grandTotal IS NOT NULL THEN l.item_amount END AS item_subtotal,
    CASE WHEN w.has_breakdowns THEN breakdown_sum(w.proceeds.breakdowns, 'TAX') WHEN w.proceeds.grandTotal IS NOT NULL THEN l.item_tax END AS tax_total,
    CASE WHEN w.has_breakdowns THEN breakdown_sum(w.proceeds.breakdowns, 'SHIPPING') WHEN w.proceeds.grandTotal IS NOT NULL THEN l.shipping END AS shipping_total,
    CASE WHEN w.has_breakdowns THEN breakdown_sum(w.proceeds.breakdowns, 'DISCOUNT') WHEN w.proceeds.grandTotal IS NOT NULL THEN l.promotion_discount END AS discount_total,
    CASE WHEN w.has_breakdowns THEN breakdown_sum(w.proceeds.breakdowns, 'GIFT_WRAP') WHEN w.proceeds.grandTotal IS NOT NULL THEN l.gift_wrap END AS gift_wrap_total,
    CASE WHEN w.has_breakdowns THEN breakdown_sum(w.proceeds.breakdowns, 'COD_FEE') WHEN w.proceeds.grandTotal IS NOT NULL THEN l.cod_fee END AS cod_fee_total,
    CASE WHEN w.has_breakdowns THEN breakdown_sum(w.proceeds.breakdowns, 'OTHER') WHEN w.proceeds.grandTotal IS NOT NULL THEN l.other_charges END AS other_total,
    breakdown_sum(w.proceeds.breakdowns, 'DELIVERY_TIP') AS delivery_tip,
    list_filter(w.proceeds.breakdowns, lambda b: b.type = 'DELIVERY_TIP')[1].status AS delivery_tip_status,
    w.prices_include_tax,
    w.version_source,
    w.buyer_key,
    len(w.items) AS line_count,
    w.ship_country,
    w.shipped_ts,
    w.latest_delivery_ts
FROM typed w
LEFT JOIN lines l USING (order_id)
LEFT JOIN core.marketplaces m USING (marketplace_id);
