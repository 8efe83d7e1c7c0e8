-- core.orders for the window: delete, then insert, so re-runs replace rather than duplicate.
-- Amounts use TRY_CAST: DuckDB may evaluate casts before the reject filter; rejected orders never reach here.
CREATE OR REPLACE TEMP MACRO breakdown_sum(breakdowns, kind) AS
    list_sum(list_transform(list_filter(breakdowns, lambda b: b.type = kind), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2))));

DELETE FROM core.orders WHERE purchase_date >= $start AND purchase_date < $end;

INSERT INTO core.orders BY NAME
SELECT
    w.order_id,
    w.marketplace_id,
    w.sales_channel,
    w.purchase_date,
    w.purchase_ts,
    w.last_updated_time AS last_update_ts,
    w.fulfillment_channel,
    w.order_status,
    w.status,
    coalesce(w.proceeds.grandTotal.currencyCode, m.currency) AS currency,
    TRY_CAST(w.proceeds.grandTotal.amount AS DECIMAL(18, 2)) AS order_total,
    breakdown_sum(w.proceeds.breakdowns, 'ITEM') AS item_subtotal,
    breakdown_sum(w.proceeds.breakdowns, 'TAX') AS tax_total,
    breakdown_sum(w.proceeds.breakdowns, 'SHIPPING') AS shipping_total,
    breakdown_sum(w.proceeds.breakdowns, 'DISCOUNT') AS discount_total,
    m.prices_include_tax,
    w.buyer_key,
    len(w.items) AS line_count,
    w.ship_country,
    w.shipped_ts,
    w.latest_delivery_ts
FROM order_window w
LEFT JOIN core.marketplaces m USING (marketplace_id)
WHERE w.order_id NOT IN (SELECT order_id FROM order_rejects);
