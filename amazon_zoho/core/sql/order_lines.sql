-- core.order_lines for the window, from the same typed items as core.orders (item_window: order_window.sql, where a
-- line cancelled inside an order that stands gets 0 in every amount).
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
    quantity_cancelled,
    cancelled,
    -- Pending orders carry no prices, hence no currency code: their marketplace's currency.
    coalesce(i.product.price.unitPrice.currencyCode, i.proceeds.proceedsTotal.currencyCode, m.currency) AS currency,
    TRY_CAST(i.product.price.unitPrice.amount AS DECIMAL(18, 2)) AS unit_price,
    item_amount,
    item_tax,
    shipping_tax,
    shipping,
    promotion_discount,
    shipping_discount,
    gift_wrap,
    gift_wrap_tax,
    cod_fee,
    cod_fee_tax,
    other_charges,
    other_tax,
    discount_tax,
    line_total
FROM item_window
LEFT JOIN core.marketplaces m USING (marketplace_id)
WHERE order_id NOT IN (SELECT order_id FROM order_rejects);
