-- core.order_lines for the window, from the same typed versions as core.orders (breakdown_sum: orders.sql).
DELETE FROM core.order_lines WHERE purchase_date >= $start AND purchase_date < $end;

INSERT INTO core.order_lines BY NAME
SELECT
    order_id,
    i.orderItemId AS order_item_id,
    purchase_date,
    marketplace_id,
    i.product.sellerSku AS sku,
    i.product.asin,
    i.product.title,
    i.quantityOrdered AS quantity_ordered,
    i.fulfillment.quantityFulfilled AS quantity_shipped,
    -- Pending orders carry no prices, hence no currency code: their marketplace's currency.
    coalesce(i.product.price.unitPrice.currencyCode, i.proceeds.proceedsTotal.currencyCode, m.currency) AS currency,
    TRY_CAST(i.product.price.unitPrice.amount AS DECIMAL(18, 2)) AS unit_price,
    breakdown_sum(i.proceeds.breakdowns, 'ITEM') AS item_amount,
    breakdown_sum(i.proceeds.breakdowns, 'TAX') AS item_tax,
    list_sum(list_transform(
        flatten(list_transform(list_filter(i.proceeds.breakdowns, lambda b: b.type = 'TAX'), lambda b: b.detailedBreakdowns)),
        lambda d: CASE WHEN d.subtype = 'SHIPPING' THEN TRY_CAST(d.value.amount AS DECIMAL(18, 2)) END)) AS shipping_tax,
    breakdown_sum(i.proceeds.breakdowns, 'SHIPPING') AS shipping,
    breakdown_sum(i.proceeds.breakdowns, 'DISCOUNT') AS promotion_discount,
    TRY_CAST(i.proceeds.proceedsTotal.amount AS DECIMAL(18, 2)) AS line_total
FROM item_window
LEFT JOIN core.marketplaces m USING (marketplace_id)
WHERE order_id NOT IN (SELECT order_id FROM order_rejects);
