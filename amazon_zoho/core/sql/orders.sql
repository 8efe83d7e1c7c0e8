-- core.orders for the window: delete, then insert, so re-runs replace rather than duplicate.
-- Amounts use TRY_CAST: DuckDB may evaluate casts before the reject filter; rejected orders never reach here.
DELETE FROM core.orders WHERE purchase_date >= $start AND purchase_date < $end;

INSERT INTO core.orders
SELECT
    w.order_id,
    w.marketplace_id,
    w.sales_channel,
    w.purchase_date,
    w.purchase_ts,
    w.last_updated_time,
    w.fulfillment_channel,
    w.order_status,
    coalesce(w.proceeds.grandTotal.currencyCode, m.currency),
    TRY_CAST(w.proceeds.grandTotal.amount AS DECIMAL(18, 2)),
    list_sum(list_transform(list_filter(w.proceeds.breakdowns, lambda b: b.type = 'ITEM'), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2)))),
    list_sum(list_transform(list_filter(w.proceeds.breakdowns, lambda b: b.type = 'TAX'), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2)))),
    list_sum(list_transform(list_filter(w.proceeds.breakdowns, lambda b: b.type = 'SHIPPING'), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2)))),
    list_sum(list_transform(list_filter(w.proceeds.breakdowns, lambda b: b.type = 'DISCOUNT'), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2)))),
    w.buyer_key,
    len(w.items),
    w.ship_country
FROM order_window w
LEFT JOIN core.marketplaces m USING (marketplace_id)
WHERE w.order_id NOT IN (SELECT order_id FROM order_rejects);
