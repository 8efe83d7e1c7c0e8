-- The latest version of each order purchased in [$start, $end), typed. A temp table both core tables read.
-- Amounts use TRY_CAST: DuckDB may evaluate casts before a reject filter; order_rejects names the amounts that are
-- not decimals, and those orders never reach core.
CREATE OR REPLACE TEMP MACRO breakdown_sum(breakdowns, kind) AS
    list_sum(list_transform(list_filter(breakdowns, lambda b: b.type = kind), lambda b: TRY_CAST(b.subtotal.amount AS DECIMAL(18, 2))));
-- The part of an item's `kind` breakdown (TAX or DISCOUNT) that Amazon attributes to `subtype` (detailedBreakdowns).
CREATE OR REPLACE TEMP MACRO breakdown_detail(breakdowns, kind, subtype) AS
    list_sum(list_transform(
        flatten(list_transform(list_filter(breakdowns, lambda b: b.type = kind), lambda b: b.detailedBreakdowns)),
        lambda d: CASE WHEN d.subtype = subtype THEN TRY_CAST(d.value.amount AS DECIMAL(18, 2)) END));

CREATE OR REPLACE TEMP TABLE order_window AS
WITH versions AS (
    -- Each version's JSON is parsed once, into exactly the fields core reads (from_json: a field that
    -- does not fit its type becomes NULL, and the reject rules below catch what matters).
    SELECT order_id, purchase_date, marketplace_id, last_updated_time, fetched_at, source, from_json(payload, '{
        "createdTime": "VARCHAR", "buyerKey": "VARCHAR",
        "salesChannel": {"marketplaceName": "VARCHAR"},
        "fulfillment": {"fulfillmentStatus": "VARCHAR", "fulfilledBy": "VARCHAR", "deliverByWindow": {"latestDateTime": "VARCHAR"}},
        "recipient": {"deliveryAddress": {"countryCode": "VARCHAR"}},
        "packages": [{"shipTime": "VARCHAR"}],
        "proceeds": {"grandTotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"},
                     "breakdowns": [{"type": "VARCHAR", "status": "VARCHAR", "subtotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}]},
        "orderItems": [{"orderItemId": "VARCHAR", "quantityOrdered": "INTEGER",
            "product": {"asin": "VARCHAR", "title": "VARCHAR", "sellerSku": "VARCHAR",
                        "price": {"unitPrice": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}},
            "proceeds": {"proceedsTotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"},
                         "breakdowns": [{"type": "VARCHAR", "subtotal": {"amount": "VARCHAR", "currencyCode": "VARCHAR"},
                                         "detailedBreakdowns": [{"subtype": "VARCHAR", "value": {"amount": "VARCHAR", "currencyCode": "VARCHAR"}}]}]},
            "cancellation": {"cancellationExecution": {"cancelledBy": "VARCHAR", "cancelReason": "VARCHAR"}},
            "fulfillment": {"quantityFulfilled": "INTEGER", "quantityUnfulfilled": "INTEGER"}}]
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
-- Amazon shows the buyer only while a merchant-fulfilled order is UNSHIPPED, PARTIALLY_SHIPPED or SHIPPED (API-FACTS.md
-- "PII without an RDT", https://developer-docs.amazon.com/sp-api/docs/access-orders-pii): a later version (delivered,
-- refunded, fetched again after the window) comes without it. The buyer did not change: the last key seen stands.
known_buyer AS (
    SELECT order_id, arg_max(o.buyerKey, last_updated_time) AS buyer_key
    FROM versions
    WHERE o.buyerKey IS NOT NULL
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
    coalesce(l.o.buyerKey, b.buyer_key) AS buyer_key,
    l.o.recipient.deliveryAddress.countryCode AS ship_country,
    CASE WHEN l.o.fulfillment.fulfillmentStatus IN ('SHIPPED', 'PARTIALLY_SHIPPED') THEN coalesce(
        list_min(list_transform(l.o.packages, lambda p: TRY_CAST(p.shipTime AS TIMESTAMPTZ))),
        s.shipped_ts) END AS shipped_ts,
    TRY_CAST(l.o.fulfillment.deliverByWindow.latestDateTime AS TIMESTAMPTZ) AS latest_delivery_ts,
    -- The tax convention of the amounts, per marketplace and per API (amazon/marketplaces.csv): flat-file report
    -- rows (source 'report') follow the report's, everything else the Orders API's. NULL: marketplace unknown.
    CASE WHEN l.source = 'report' THEN m.prices_include_tax ELSE m.proceeds_include_tax END AS prices_include_tax,
    CASE WHEN l.source = 'report' THEN 'order_report' ELSE 'orders_api' END AS version_source,
    l.o.proceeds AS proceeds,
    l.o.orderItems AS items
FROM latest l
LEFT JOIN first_shipped s USING (order_id)
LEFT JOIN known_buyer b USING (order_id)
LEFT JOIN core.marketplaces m USING (marketplace_id);

-- One row per item, typed: the form both the rejects below and core.order_lines read. An item is cancelled inside
-- its order when none of its units is shipped or left to ship (ItemFulfillment quantityFulfilled and
-- quantityUnfulfilled: the model's only way to say so, as no item status exists), or when it carries a
-- cancellationExecution and no units; every item of a cancelled order is. A cancelled item in an order that
-- stands counts 0 in every amount (`sent_total` keeps what Amazon sent for it, for the reject reason).
CREATE OR REPLACE TEMP TABLE item_window AS
WITH items AS (
    SELECT order_id, purchase_date, marketplace_id, status AS order_state, prices_include_tax, unnest(items) AS i
    FROM order_window
),
counted AS (
    SELECT
        *,
        CASE
            WHEN order_state = 'cancelled' THEN coalesce(i.quantityOrdered, 0)
            WHEN i.fulfillment.quantityFulfilled IS NULL AND i.fulfillment.quantityUnfulfilled IS NULL THEN 0
            ELSE greatest(i.quantityOrdered - coalesce(i.fulfillment.quantityFulfilled, 0) - coalesce(i.fulfillment.quantityUnfulfilled, 0), 0)
        END AS quantity_cancelled
    FROM items
),
flagged AS (
    SELECT
        *,
        coalesce(order_state = 'cancelled' OR (i.quantityOrdered > 0 AND quantity_cancelled = i.quantityOrdered)
                 OR (i.quantityOrdered = 0 AND i.cancellation.cancellationExecution IS NOT NULL), false) AS cancelled,
        TRY_CAST(i.proceeds.proceedsTotal.amount AS DECIMAL(18, 2)) AS sent_total
    FROM counted
)
SELECT
    order_id, purchase_date, marketplace_id, order_state, prices_include_tax, i, quantity_cancelled, cancelled, sent_total,
    -- Zeroed: a line cancelled while its order stands (an order that is cancelled keeps no amounts at all).
    cancelled AND order_state <> 'cancelled' AS zeroed,
    CASE WHEN zeroed THEN 0 ELSE sent_total END AS line_total,
    CASE WHEN zeroed THEN 0 ELSE breakdown_sum(i.proceeds.breakdowns, 'ITEM') END AS item_amount,
    CASE WHEN zeroed THEN 0 ELSE breakdown_sum(i.proceeds.breakdowns, 'SHIPPING') END AS shipping,
    CASE WHEN zeroed THEN 0 ELSE breakdown_sum(i.proceeds.breakdowns, 'GIFT_WRAP') END AS gift_wrap,
    CASE WHEN zeroed THEN 0 ELSE breakdown_sum(i.proceeds.breakdowns, 'COD_FEE') END AS cod_fee,
    CASE WHEN zeroed THEN 0 ELSE breakdown_sum(i.proceeds.breakdowns, 'OTHER') END AS other_charges,
    CASE WHEN zeroed THEN 0 ELSE breakdown_sum(i.proceeds.breakdowns, 'DISCOUNT') END AS promotion_discount,
    CASE WHEN zeroed THEN 0 ELSE breakdown_sum(i.proceeds.breakdowns, 'TAX') END AS item_tax,
    CASE WHEN zeroed THEN 0 ELSE breakdown_detail(i.proceeds.breakdowns, 'TAX', 'SHIPPING') END AS shipping_tax,
    CASE WHEN zeroed THEN 0 ELSE breakdown_detail(i.proceeds.breakdowns, 'TAX', 'GIFT_WRAP') END AS gift_wrap_tax,
    CASE WHEN zeroed THEN 0 ELSE breakdown_detail(i.proceeds.breakdowns, 'TAX', 'COD_FEE') END AS cod_fee_tax,
    CASE WHEN zeroed THEN 0 ELSE breakdown_detail(i.proceeds.breakdowns, 'TAX', 'OTHER') END AS other_tax,
    CASE WHEN zeroed THEN 0 ELSE breakdown_detail(i.proceeds.breakdowns, 'TAX', 'DISCOUNT') END AS discount_tax,
    CASE WHEN zeroed THEN 0 ELSE breakdown_detail(i.proceeds.breakdowns, 'DISCOUNT', 'SHIPPING') END AS shipping_discount
FROM flagged;

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
SELECT order_id, 'orderItems[' || orderItemId || '].proceeds.' || kind || '.' || d.subtype, d.value.amount, d.value.currencyCode
FROM (SELECT order_id, orderItemId, b.type AS kind, unnest(b.detailedBreakdowns) AS d
      FROM (SELECT order_id, i.orderItemId, unnest(i.proceeds.breakdowns) AS b FROM item_window));

-- Orders that violate the model stay out of core, with all their lines; ops.quarantine says why.
-- A currency is known when it is the currency of the order's marketplace (core.marketplaces); an order of a
-- marketplace we have no row for is held back for that.
-- Money must add up, to the cent, with both figures in the reason (Amazon rounds every amount, so a sum of them
-- is exact and any difference is a wrong order, never rounding): each item's proceedsTotal is the sum of its
-- breakdowns (ITEM + SHIPPING + GIFT_WRAP + COD_FEE + OTHER + DISCOUNT, + TAX where tax is added); grandTotal is
-- the sum of the items' proceedsTotal plus the order-level DELIVERY_TIP; each order-level breakdown is the sum of
-- the items' (the model: "The remaining categories are aggregated across all order items"). Orders with an amount
-- that is not a decimal, or not in whole cents, are named for that alone.
CREATE OR REPLACE TEMP TABLE order_rejects AS
WITH malformed AS (
    SELECT DISTINCT order_id FROM order_amounts
    WHERE amount IS NOT NULL AND (TRY_CAST(amount AS DECIMAL(18, 2)) IS NULL OR TRY_CAST(amount AS DECIMAL(38, 10)) <> TRY_CAST(amount AS DECIMAL(18, 2)))
),
parts AS (
    SELECT
        order_id, i.orderItemId AS item_id, cancelled, zeroed, sent_total, line_total, coalesce(item_tax, 0) AS tax,
        coalesce(item_amount, 0) + coalesce(shipping, 0) + coalesce(gift_wrap, 0) + coalesce(cod_fee, 0) + coalesce(other_charges, 0)
            + coalesce(promotion_discount, 0) + CASE WHEN coalesce(prices_include_tax, false) THEN 0 ELSE coalesce(item_tax, 0) END AS sum_of_parts,
        item_amount, shipping, gift_wrap, cod_fee, other_charges, promotion_discount, item_tax
    FROM item_window
    WHERE order_id NOT IN (SELECT order_id FROM malformed)
),
orders AS (
    SELECT
        w.order_id, w.marketplace_id, w.prices_include_tax,
        TRY_CAST(w.proceeds.grandTotal.amount AS DECIMAL(18, 2)) AS grand_total,
        coalesce(breakdown_sum(w.proceeds.breakdowns, 'DELIVERY_TIP'), 0) AS tip,
        coalesce(len(w.proceeds.breakdowns), 0) > 0 AS has_breakdowns,
        w.proceeds.breakdowns AS breakdowns
    FROM order_window w
    WHERE w.order_id NOT IN (SELECT order_id FROM malformed)
),
sums AS (
    SELECT
        order_id,
        sum(line_total) AS line_totals,
        count(*) FILTER (WHERE NOT cancelled AND line_total IS NULL) AS unpriced,
        count(*) FILTER (WHERE NOT cancelled AND line_total IS NOT NULL) AS priced,
        sum(tax) AS tax,
        string_agg(item_id || ' (cancelled, sent ' || sent_total || ')', ', ') FILTER (WHERE zeroed AND sent_total <> 0) AS cancelled_sent,
        -- Per type: the order's breakdown against the sum of its items'.
        [sum(item_amount), sum(shipping), sum(gift_wrap), sum(cod_fee), sum(other_charges), sum(promotion_discount), sum(item_tax)] AS item_sums
    FROM parts
    GROUP BY order_id
)
SELECT order_id, string_agg(DISTINCT reason, '; ' ORDER BY reason) AS reason
FROM (
    SELECT order_id, 'amount at ' || path || ' is not a decimal: ' || amount AS reason
    FROM order_amounts WHERE amount IS NOT NULL AND TRY_CAST(amount AS DECIMAL(18, 2)) IS NULL
    UNION ALL
    -- Money.amount is a decimal string (shared/reference/API-FACTS.md) and core keeps cents, DECIMAL(18, 2): an amount
    -- with a non-zero third decimal cannot be kept without rounding it silently (12.345 -> 12.35), so it is malformed.
    SELECT order_id, 'amount at ' || path || ' has more decimals than cents: ' || amount
    FROM order_amounts WHERE TRY_CAST(amount AS DECIMAL(38, 10)) <> TRY_CAST(amount AS DECIMAL(18, 2))
    UNION ALL
    SELECT a.order_id, 'unknown currency ' || coalesce(a.currency, 'null') || ' at ' || a.path
        || ' (marketplace ' || coalesce(w.marketplace_id, 'null') || ' sells in ' || coalesce(m.currency, 'no known currency') || ')'
    FROM order_amounts a
    JOIN order_window w USING (order_id)
    LEFT JOIN core.marketplaces m USING (marketplace_id)
    WHERE a.amount IS NOT NULL AND m.marketplace_id IS NOT NULL
      AND (a.currency IS NULL OR a.currency IS DISTINCT FROM m.currency)
    UNION ALL
    -- A marketplace without a row has no currency or tax convention to check the order against: that is the reason,
    -- not its currency (#14 item 12).
    SELECT order_id, 'marketplace ' || marketplace_id || ' is not configured: core.marketplaces (amazon/marketplaces.csv) '
        || 'has no row for it, so its currency and tax convention are unknown'
    FROM order_window WHERE marketplace_id NOT IN (SELECT marketplace_id FROM core.marketplaces)
    UNION ALL
    SELECT order_id, 'negative quantity on item ' || coalesce(i.orderItemId, '?') || ': ordered '
        || coalesce(i.quantityOrdered::VARCHAR, 'null') || ', shipped ' || coalesce(i.fulfillment.quantityFulfilled::VARCHAR, 'null')
    FROM item_window WHERE i.quantityOrdered < 0 OR i.fulfillment.quantityFulfilled < 0 OR i.fulfillment.quantityUnfulfilled < 0
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
    UNION ALL
    SELECT order_id, 'item ' || item_id || ': proceedsTotal ' || line_total || ' <> ' || sum_of_parts
        || ', the sum of its breakdowns (ITEM + SHIPPING + GIFT_WRAP + COD_FEE + OTHER + DISCOUNT'
        || CASE WHEN coalesce(p.prices_include_tax, false) THEN ', TAX ' || tax || ' contained)' ELSE ' + TAX)' END
    FROM parts JOIN orders p USING (order_id)
    WHERE NOT zeroed AND line_total IS NOT NULL AND line_total <> sum_of_parts
    UNION ALL
    SELECT o.order_id, 'proceeds.grandTotal ' || o.grand_total || ' <> ' || (s.line_totals + o.tip) || ', the sum of its items'' proceedsTotal'
        || CASE WHEN o.tip <> 0 THEN ' + DELIVERY_TIP ' || o.tip ELSE '' END
        || coalesce(' (items cancelled count 0: ' || s.cancelled_sent || ')', '')
    FROM orders o JOIN sums s USING (order_id)
    WHERE o.grand_total IS NOT NULL AND s.unpriced = 0 AND o.grand_total <> coalesce(s.line_totals, 0) + o.tip
    UNION ALL
    SELECT o.order_id, 'proceeds.grandTotal is ' || o.grand_total || ' but ' || s.unpriced || ' item(s) that are not cancelled have no proceedsTotal'
    FROM orders o JOIN sums s USING (order_id)
    WHERE o.grand_total IS NOT NULL AND s.unpriced > 0
    UNION ALL
    SELECT o.order_id, 'no proceeds.grandTotal, but ' || s.priced || ' item(s) have a proceedsTotal (sum ' || s.line_totals || ')'
    FROM orders o JOIN sums s USING (order_id)
    WHERE o.grand_total IS NULL AND s.priced > 0
    UNION ALL
    -- A poison version: a status Amazon prices (UNSHIPPED on) with no amount at all, order or items ("proceeds":
    -- null). Kept out alone, with its reason, so the rest of its days pass; its next version is judged afresh.
    SELECT w.order_id, 'status ' || w.order_status || ' but no proceeds (proceeds: null, no item priced): no amounts to keep'
    FROM order_window w LEFT JOIN sums s USING (order_id)
    WHERE w.status IN ('unshipped', 'partially_shipped', 'shipped') AND w.proceeds.grandTotal IS NULL
      AND coalesce(s.priced, 0) = 0 AND w.order_id NOT IN (SELECT order_id FROM malformed)
    UNION ALL
    SELECT o.order_id, 'proceeds ' || kind || ' ' || coalesce(breakdown_sum(o.breakdowns, kind), 0) || ' <> '
        || coalesce(s.item_sums[n], 0) || ', the sum of its items'' ' || kind
    FROM orders o JOIN sums s USING (order_id)
    CROSS JOIN (VALUES (1, 'ITEM'), (2, 'SHIPPING'), (3, 'GIFT_WRAP'), (4, 'COD_FEE'), (5, 'OTHER'), (6, 'DISCOUNT'), (7, 'TAX')) t (n, kind)
    WHERE o.has_breakdowns AND o.grand_total IS NOT NULL AND coalesce(breakdown_sum(o.breakdowns, kind), 0) <> coalesce(s.item_sums[n], 0)
    UNION ALL
    SELECT o.order_id, 'marketplace ' || o.marketplace_id || ' has no tax convention in core.marketplaces (amazon/marketplaces.csv): '
        || 'cannot tell whether the order''s TAX ' || s.tax || ' is inside its other amounts or added to them'
    FROM orders o JOIN sums s USING (order_id)
    WHERE o.prices_include_tax IS NULL AND s.tax <> 0 AND o.marketplace_id IN (SELECT marketplace_id FROM core.marketplaces)
)
GROUP BY order_id;
