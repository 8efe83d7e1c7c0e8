-- The latest version of each order purchased in [$start, $end), typed. A temp table both core tables read.
CREATE OR REPLACE TEMP TABLE order_window AS
WITH latest AS (
    SELECT *
    FROM raw.order_versions
    WHERE purchase_date >= $start AND purchase_date < $end
    QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY last_updated_time DESC NULLS LAST, fetched_at DESC) = 1
)
SELECT
    order_id,
    purchase_date,
    marketplace_id,
    payload ->> '$.salesChannel.marketplaceName' AS sales_channel,
    TRY_CAST(payload ->> '$.createdTime' AS TIMESTAMPTZ) AS purchase_ts,
    last_updated_time,
    CASE payload ->> '$.fulfillment.fulfilledBy' WHEN 'AMAZON' THEN 'AFN' WHEN 'MERCHANT' THEN 'MFN' END AS fulfillment_channel,
    payload ->> '$.fulfillment.fulfillmentStatus' AS order_status,
    payload ->> '$.buyerKey' AS buyer_key,
    payload ->> '$.recipient.deliveryAddress.countryCode' AS ship_country,
    from_json(payload -> '$.proceeds', '{"grandTotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"},
        "breakdowns": [{"type": "VARCHAR", "subtotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}]}') AS proceeds,
    from_json(payload -> '$.orderItems', '[{"orderItemId": "VARCHAR", "quantityOrdered": "INTEGER",
        "product": {"asin": "VARCHAR", "title": "VARCHAR", "sellerSku": "VARCHAR",
                    "price": {"unitPrice": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}},
        "proceeds": {"proceedsTotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"},
                     "breakdowns": [{"type": "VARCHAR", "subtotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}]},
        "fulfillment": {"quantityFulfilled": "INTEGER"}}]') AS items
FROM latest;

-- Every amount string of an order, to find the ones that are not decimals before anything is built.
CREATE OR REPLACE TEMP TABLE order_amounts AS
SELECT order_id, 'proceeds.grandTotal' AS path, proceeds.grandTotal.amount AS amount, proceeds.grandTotal.currencyCode AS currency
FROM order_window WHERE proceeds.grandTotal IS NOT NULL
UNION ALL
SELECT order_id, 'proceeds.breakdowns.' || b.type, b.subtotal.amount, b.subtotal.currencyCode
FROM (SELECT order_id, unnest(proceeds.breakdowns) AS b FROM order_window)
UNION ALL
SELECT order_id, 'orderItems[' || i.orderItemId || '].' || path, amount, currency
FROM (
    SELECT order_id, i, 'unitPrice' AS path, i.product.price.unitPrice.amount AS amount, i.product.price.unitPrice.currencyCode AS currency
    FROM (SELECT order_id, unnest(items) AS i FROM order_window)
    UNION ALL
    SELECT order_id, i, 'proceeds.' || b.type, b.subtotal.amount, b.subtotal.currencyCode
    FROM (SELECT order_id, i, unnest(i.proceeds.breakdowns) AS b FROM (SELECT order_id, unnest(items) AS i FROM order_window))
);

-- Orders that violate the model stay out of core; ops.quarantine says why.
CREATE OR REPLACE TEMP TABLE order_rejects AS
SELECT order_id, string_agg(reason, '; ' ORDER BY reason) AS reason
FROM (
    SELECT order_id, 'amount at ' || path || ' is not a decimal: ' || amount AS reason
    FROM order_amounts WHERE amount IS NOT NULL AND TRY_CAST(amount AS DECIMAL(18, 2)) IS NULL
    UNION ALL
    SELECT order_id, 'unknown currency ' || coalesce(currency, 'null') || ' at ' || path
    FROM order_amounts WHERE amount IS NOT NULL AND (currency IS NULL OR currency NOT IN (SELECT currency FROM core.marketplaces))
    UNION ALL
    SELECT order_id, 'negative quantity on item ' || i.orderItemId
    FROM (SELECT order_id, unnest(items) AS i FROM order_window) WHERE i.quantityOrdered < 0
    UNION ALL
    SELECT order_id, 'order has no items' FROM order_window WHERE items IS NULL OR len(items) = 0
)
GROUP BY order_id;
