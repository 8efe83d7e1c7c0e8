-- core.order_lines for the window, from the same typed versions as core.orders.
DELETE FROM core.order_lines WHERE purchase_date >= $start AND purchase_date < $end;

INSERT INTO core.order_lines
SELECT
    order_id,
    i.orderItemId,
    purchase_date,
    marketplace_id,
    i.product.sellerSku,
    i.product.asin,
    i.product.title,
    i.quantityOrdered,
    i.fulfillment.quantityFulfilled,
    coalesce(i.product.price.unitPrice.currencyCode, i.proceeds.proceedsTotal.currencyCode),
    TRY_CAST(i.product.price.unitPrice.amount AS DECIMAL(18, 2)),
    list_sum(list_transform(list_filter(i.proceeds.breakdowns, lambda b: b.type = 'ITEM'), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2)))),
    list_sum(list_transform(list_filter(i.proceeds.breakdowns, lambda b: b.type = 'TAX'), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2)))),
    list_sum(list_transform(list_filter(i.proceeds.breakdowns, lambda b: b.type = 'SHIPPING'), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2)))),
    list_sum(list_transform(list_filter(i.proceeds.breakdowns, lambda b: b.type = 'DISCOUNT'), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2)))),
    TRY_CAST(i.proceeds.proceedsTotal.amount AS DECIMAL(18, 2))
FROM (SELECT order_id, purchase_date, marketplace_id, unnest(items) AS i FROM order_window)
WHERE order_id NOT IN (SELECT order_id FROM order_rejects);
