-- The latest version of each order purchased in [$start, $end), typed. A temp table both core tables read.
CREATE OR REPLACE TEMP TABLE order_window AS
WITH versions AS (
    -- Each version's JSON is parsed once, into exactly the fields core reads (from_json: a field that
    -- does not fit its type becomes NULL, and the reject rules below catch what matters).
    SELECT order_id, purchase_date, marketplace_id, last_updated_time, fetched_at, from_json(payload, '{
        "createdTime": "VARCHAR", "buyerKey": "VARCHAR",
        "salesChannel": {"marketplaceName": "VARCHAR"},
        "fulfillment": {"fulfillmentStatus": "VARCHAR", "fulfilledBy": "VARCHAR", "deliverByWindow": {"latestDateTime": "VARCHAR"}},
        "recipient": {"deliveryAddress": {"countryCode": "VARCHAR"}},
        "packages": [{"shipTime": "VARCHAR"}],
        "proceeds": {"grandTotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"},
                     "breakdowns": [{"type": "VARCHAR", "subtotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}]},
        "orderItems": [{"orderItemId": "VARCHAR", "quantityOrdered": "INTEGER",
            "product": {"asin": "VARCHAR", "title": "VARCHAR", "sellerSku": "VARCHAR",
                        "price": {"unitPrice": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}},
            "proceeds": {"proceedsTotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"},
                         "breakdowns": [{"type": "VARCHAR", "subtotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"},
                                         "detailedBreakdowns": [{"subtype": "VARCHAR", "value": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}]}]},
            "fulfillment": {"quantityFulfilled": "INTEGER"}}]
    }') AS o
    FROM raw.order_versions
    WHERE purchase_date >= $start AND purchase_date < $end
),
-- FBA orders carry no package: the first version we saw shipped stands in for the ship time.
first_shipped AS (
    SELECT order_id, min(last_updated_time) AS shipped_ts
    FROM versions
    WHERE o.fulfillment.fulfillmentStatus IN ('SHIPPED', 'PARTIALLY_SHIPPED')
    GROUP BY order_id
),
latest AS (
    SELECT *
    FROM versions
    QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY last_updated_time DESC NULLS LAST, fetched_at DESC) = 1
)
SELECT
    l.order_id,
    l.purchase_date,
    l.marketplace_id,
    l.o.salesChannel.marketplaceName AS sales_channel,
    TRY_CAST(l.o.createdTime AS TIMESTAMPTZ) AS purchase_ts,
    l.last_updated_time,
    CASE l.o.fulfillment.fulfilledBy WHEN 'AMAZON' THEN 'AFN' WHEN 'MERCHANT' THEN 'MFN' END AS fulfillment_channel,
    l.o.fulfillment.fulfillmentStatus AS order_status,
    -- v2026 spells statuses PARTIALLY_SHIPPED/CANCELLED, v0 PartiallyShipped/Canceled: one vocabulary for analysts.
    CASE upper(replace(l.o.fulfillment.fulfillmentStatus, '_', ''))
        WHEN 'PENDING' THEN 'pending' WHEN 'PENDINGAVAILABILITY' THEN 'pending' WHEN 'INVOICEUNCONFIRMED' THEN 'pending'
        WHEN 'UNSHIPPED' THEN 'unshipped' WHEN 'PARTIALLYSHIPPED' THEN 'partially_shipped' WHEN 'SHIPPED' THEN 'shipped'
        WHEN 'CANCELLED' THEN 'cancelled' WHEN 'CANCELED' THEN 'cancelled' WHEN 'UNFULFILLABLE' THEN 'unfulfillable'
        ELSE 'unknown'
    END AS status,
    l.o.buyerKey AS buyer_key,
    l.o.recipient.deliveryAddress.countryCode AS ship_country,
    CASE WHEN l.o.fulfillment.fulfillmentStatus IN ('SHIPPED', 'PARTIALLY_SHIPPED') THEN coalesce(
        list_min(list_transform(l.o.packages, lambda p: TRY_CAST(p.shipTime AS TIMESTAMPTZ))),
        s.shipped_ts) END AS shipped_ts,
    TRY_CAST(l.o.fulfillment.deliverByWindow.latestDateTime AS TIMESTAMPTZ) AS latest_delivery_ts,
    l.o.proceeds AS proceeds,
    l.o.orderItems AS items
FROM latest l
LEFT JOIN first_shipped s USING (order_id);

-- One row per item, the form both the rejects below and core.order_lines read.
CREATE OR REPLACE TEMP TABLE item_window AS
SELECT order_id, purchase_date, marketplace_id, unnest(items) AS i
FROM order_window;

-- Every amount string of an order, to find the ones that are not decimals before anything is built.
CREATE OR REPLACE TEMP TABLE order_amounts AS
SELECT order_id, 'proceeds.grandTotal' AS path, proceeds.grandTotal.amount AS amount, proceeds.grandTotal.currencyCode AS currency
FROM order_window WHERE proceeds.grandTotal IS NOT NULL
UNION ALL
SELECT order_id, 'proceeds.breakdowns.' || b.type, b.subtotal.amount, b.subtotal.currencyCode
FROM (SELECT order_id, unnest(proceeds.breakdowns) AS b FROM order_window)
UNION ALL
SELECT order_id, 'orderItems[' || i.orderItemId || '].unitPrice', i.product.price.unitPrice.amount, i.product.price.unitPrice.currencyCode
FROM item_window
UNION ALL
SELECT order_id, 'orderItems[' || i.orderItemId || '].proceedsTotal', i.proceeds.proceedsTotal.amount, i.proceeds.proceedsTotal.currencyCode
FROM item_window
UNION ALL
SELECT order_id, 'orderItems[' || orderItemId || '].proceeds.' || b.type, b.subtotal.amount, b.subtotal.currencyCode
FROM (SELECT order_id, i.orderItemId, unnest(i.proceeds.breakdowns) AS b FROM item_window)
UNION ALL
SELECT order_id, 'orderItems[' || orderItemId || '].proceeds.TAX.' || d.subtype, d.value.amount, d.value.currencyCode
FROM (SELECT order_id, orderItemId, unnest(b.detailedBreakdowns) AS d
      FROM (SELECT order_id, i.orderItemId, unnest(i.proceeds.breakdowns) AS b FROM item_window));

-- Orders that violate the model stay out of core, with all their lines; ops.quarantine says why.
-- A currency is known when it is the currency of the order's marketplace (core.marketplaces), or, for a
-- marketplace we have no row for, the currency of some marketplace.
CREATE OR REPLACE TEMP TABLE order_rejects AS
SELECT order_id, string_agg(DISTINCT reason, '; ' ORDER BY reason) AS reason
FROM (
    SELECT order_id, 'amount at ' || path || ' is not a decimal: ' || amount AS reason
    FROM order_amounts WHERE amount IS NOT NULL AND TRY_CAST(amount AS DECIMAL(18, 2)) IS NULL
    UNION ALL
    SELECT a.order_id, 'unknown currency ' || coalesce(a.currency, 'null') || ' at ' || a.path
        || ' (marketplace ' || coalesce(w.marketplace_id, 'null') || ' sells in ' || coalesce(m.currency, 'no known currency') || ')'
    FROM order_amounts a
    JOIN order_window w USING (order_id)
    LEFT JOIN core.marketplaces m USING (marketplace_id)
    WHERE a.amount IS NOT NULL
      AND (a.currency IS NULL OR a.currency <> coalesce(m.currency, a.currency)
           OR a.currency NOT IN (SELECT currency FROM core.marketplaces))
    UNION ALL
    SELECT order_id, 'negative quantity on item ' || coalesce(i.orderItemId, '?') || ': ordered '
        || coalesce(i.quantityOrdered::VARCHAR, 'null') || ', shipped ' || coalesce(i.fulfillment.quantityFulfilled::VARCHAR, 'null')
    FROM item_window WHERE i.quantityOrdered < 0 OR i.fulfillment.quantityFulfilled < 0
    UNION ALL
    SELECT order_id, 'item without orderItemId (a line that belongs to no order line key)'
    FROM item_window WHERE i.orderItemId IS NULL OR i.orderItemId = ''
    UNION ALL
    SELECT order_id, 'item ' || i.orderItemId || ' has no sellerSku (Zoho products are keyed on it)'
    FROM item_window WHERE (i.product.sellerSku IS NULL OR i.product.sellerSku = '') AND i.orderItemId IS NOT NULL
    UNION ALL
    SELECT order_id, 'item ' || i.orderItemId || ' has no quantityOrdered'
    FROM item_window WHERE i.quantityOrdered IS NULL AND i.orderItemId IS NOT NULL
    UNION ALL
    SELECT order_id, 'order has no items' FROM order_window WHERE items IS NULL OR len(items) = 0
    UNION ALL
    SELECT order_id, 'createdTime is not a timestamp' FROM order_window WHERE purchase_ts IS NULL
    UNION ALL
    SELECT order_id, 'order has no marketplace id' FROM order_window WHERE marketplace_id IS NULL
)
GROUP BY order_id;
