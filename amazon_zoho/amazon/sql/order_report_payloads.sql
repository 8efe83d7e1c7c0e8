-- All-orders flat-file rows (one per order item, `order_report_lines`, columns already mapped by header name)
-- -> one Orders API v2026-01-01 order JSON per order in `incoming`, for insert_order_versions.sql, so core
-- reads report orders exactly like searchOrders ones. Lines we cannot read go to ops.quarantine with the
-- reason; an order with any such line is held back whole (a partial order would have wrong totals).
--
-- Shaped like the API shows the same state: no prices while PENDING, no proceeds when PENDING or
-- CANCELLED, ship-to city/region/country only once the order is shipping (the address parts pii_split
-- keeps in raw; the postal code is PII and is dropped). Reports have no buyer: getOrder adds it for
-- merchant-fulfilled orders (order_reports.py). Amounts in the file: item-price is the line total
-- (unit x quantity), promotion discounts may be signed either way, taxes are the amounts Amazon computed.
-- Each money column becomes the v2026 breakdown it reports (research_12 §C3): item-price ITEM, shipping-price
-- SHIPPING, gift-wrap-price GIFT_WRAP, item- and ship-promotion-discount DISCOUNT (detailed ITEM and SHIPPING),
-- item-, shipping- and gift-wrap-tax TAX (detailed ITEM, SHIPPING, GIFT_WRAP). Whether tax is inside the prices or
-- added is the report's convention for the marketplace (core.marketplaces.prices_include_tax: VAT-inclusive in the
-- EU, UK and JP, added in the US and CA); core reads report versions with that convention. The file has no column
-- for COD fees, other charges or delivery tips: an order carrying them reaches its full total once an Orders API
-- version of it is stored. A line whose item-status is Cancelled in an order that is not is an item cancelled
-- inside its order: it keeps its row, with no proceeds and no unit left to ship, and counts in no total.
CREATE OR REPLACE TEMP MACRO report_money(s) AS TRY_CAST(nullif(trim(s), '') AS DECIMAL(18, 2));
-- Not money: not a decimal, or finer than cents (12.345 would round silently to 12.35 in DECIMAL(18, 2)).
CREATE OR REPLACE TEMP MACRO not_money(s) AS nullif(trim(s), '') IS NOT NULL
    AND (TRY_CAST(trim(s) AS DECIMAL(18, 2)) IS NULL OR TRY_CAST(trim(s) AS DECIMAL(38, 10)) <> TRY_CAST(trim(s) AS DECIMAL(18, 2)));
CREATE OR REPLACE TEMP MACRO money_json(a, c) AS {'amount': CAST(CAST(a AS DECIMAL(18, 2)) AS VARCHAR), 'currencyCode': c};
-- item-price is the line total: one unit's price, rounded half up to the cent in whole cents (a DECIMAL divided by an
-- integer is a DOUBLE in DuckDB, and 79.99 / 2 would round to 39.99 there).
CREATE OR REPLACE TEMP MACRO unit_price(line, qty) AS CASE WHEN qty > 0
    THEN CAST((CAST(line * 100 AS BIGINT) * 2 + qty) // (2 * qty) AS DECIMAL(18, 2)) / 100 ELSE line END;
-- Reports write v0-style statuses ("Shipped", "Canceled", "PartiallyShipped"); v2026 spells them in capitals.
CREATE OR REPLACE TEMP MACRO report_status(s) AS CASE replace(upper(trim(s)), '_', '')
    WHEN 'PENDING' THEN 'PENDING' WHEN 'PENDINGAVAILABILITY' THEN 'PENDING_AVAILABILITY'
    WHEN 'UNSHIPPED' THEN 'UNSHIPPED' WHEN 'INVOICEUNCONFIRMED' THEN 'UNSHIPPED' WHEN 'SHIPPING' THEN 'UNSHIPPED'
    WHEN 'PARTIALLYSHIPPED' THEN 'PARTIALLY_SHIPPED' WHEN 'SHIPPED' THEN 'SHIPPED'
    WHEN 'CANCELED' THEN 'CANCELLED' WHEN 'CANCELLED' THEN 'CANCELLED' WHEN 'UNFULFILLABLE' THEN 'UNFULFILLABLE' END;

CREATE OR REPLACE TEMP TABLE order_report_typed AS
WITH placed AS (
    SELECT
        l.*,
        nullif(trim(l.order_id_text), '') AS order_id,
        TRY_CAST(l.purchase_date AS TIMESTAMPTZ) AS created_ts,
        TRY_CAST(l.last_updated_date AS TIMESTAMPTZ) AS updated_ts,
        report_status(l.order_status) AS status,
        CASE upper(trim(l.fulfillment_channel)) WHEN 'AMAZON' THEN 'AMAZON' WHEN 'AFN' THEN 'AMAZON'
            WHEN 'MERCHANT' THEN 'MERCHANT' WHEN 'MFN' THEN 'MERCHANT' END AS fulfilled_by,
        -- One report covers several marketplaces; sales-channel names the one of each row. A channel we do not
        -- know (e.g. Non-Amazon) belongs to the report's marketplace when it asked for only one.
        (SELECT m.marketplace_id FROM core.marketplaces m WHERE lower(m.sales_channel) = lower(trim(l.sales_channel))) AS channel_marketplace,
        TRY_CAST(trim(l.quantity) AS INTEGER) AS qty
    FROM order_report_lines l
)
SELECT
    p.*,
    m.marketplace_id,
    coalesce(nullif(trim(p.currency), ''), m.currency) AS currency_code,
    -- The report's tax convention for the marketplace (amazon/marketplaces.csv says where it comes from).
    NOT coalesce(m.prices_include_tax, true) AS tax_added,
    concat_ws('; ',
        CASE WHEN p.order_id IS NULL THEN 'amazon-order-id is empty' END,
        CASE WHEN p.created_ts IS NULL THEN 'purchase-date is not an ISO-8601 timestamp: ' || coalesce(p.purchase_date, 'empty') END,
        CASE WHEN p.updated_ts IS NULL THEN 'last-updated-date is not an ISO-8601 timestamp: ' || coalesce(p.last_updated_date, 'empty') END,
        CASE WHEN p.status IS NULL THEN 'unknown order-status ' || coalesce(p.order_status, 'empty') END,
        CASE WHEN p.fulfilled_by IS NULL THEN 'unknown fulfillment-channel ' || coalesce(p.fulfillment_channel, 'empty') END,
        CASE WHEN m.marketplace_id IS NULL THEN 'sales-channel ' || coalesce(p.sales_channel, 'empty') || ' is not one of the requested marketplaces' END,
        CASE WHEN p.qty IS NULL OR p.qty < 0 THEN 'quantity is not a whole number: ' || coalesce(p.quantity, 'empty') END,
        CASE WHEN not_money(p.item_price) THEN 'item-price is not a decimal: ' || p.item_price END,
        CASE WHEN not_money(p.item_tax) THEN 'item-tax is not a decimal: ' || p.item_tax END,
        CASE WHEN not_money(p.shipping_price) THEN 'shipping-price is not a decimal: ' || p.shipping_price END,
        CASE WHEN not_money(p.shipping_tax) THEN 'shipping-tax is not a decimal: ' || p.shipping_tax END,
        CASE WHEN not_money(p.gift_wrap_price) THEN 'gift-wrap-price is not a decimal: ' || p.gift_wrap_price END,
        CASE WHEN not_money(p.gift_wrap_tax) THEN 'gift-wrap-tax is not a decimal: ' || p.gift_wrap_tax END,
        CASE WHEN not_money(p.item_promotion_discount) THEN 'item-promotion-discount is not a decimal: ' || p.item_promotion_discount END,
        CASE WHEN not_money(p.ship_promotion_discount) THEN 'ship-promotion-discount is not a decimal: ' || p.ship_promotion_discount END,
        CASE WHEN nullif(trim(p.currency), '') IS NOT NULL AND trim(p.currency) NOT IN (SELECT currency FROM core.marketplaces)
             THEN 'unknown currency ' || p.currency END
    ) AS reason
FROM placed p
LEFT JOIN core.marketplaces m ON m.marketplace_id = CASE
    WHEN p.channel_marketplace IS NOT NULL THEN (CASE WHEN list_contains($marketplaces, p.channel_marketplace) THEN p.channel_marketplace END)
    WHEN len($marketplaces) = 1 THEN $marketplaces[1] END;

-- Orders held back: a line with a reason, or a line the reader rejected (amazon-order-id is cell $order_id_cell).
CREATE OR REPLACE TEMP TABLE order_report_held AS
SELECT order_id, min(line_number) AS first_bad_line
FROM (
    SELECT order_id, line_number FROM order_report_typed WHERE reason <> '' AND order_id IS NOT NULL
    UNION ALL
    SELECT split_part(substr(csv_line, strpos(csv_line, chr(9)) + 1), chr(9), $order_id_cell), TRY_CAST(split_part(csv_line, chr(9), 1) AS INTEGER)
    FROM order_report_rejects
)
GROUP BY order_id;

-- (order_reports._load_document clears the file's earlier quarantine rows once, before its first part.)
INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)
SELECT 'order_report', coalesce(CAST(t.created_ts AS DATE), CAST($window_start AS DATE)), t.order_id, $report_id, t.line_number,
    CASE WHEN t.reason <> '' THEN t.reason ELSE 'held back with its order: line ' || h.first_bad_line || ' of the same order was rejected' END,
    t.raw_line, $run_id
FROM order_report_typed t
LEFT JOIN order_report_held h USING (order_id)
WHERE t.reason <> '' OR h.order_id IS NOT NULL;
INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)
SELECT DISTINCT 'order_report', CAST($window_start AS DATE), split_part(substr(csv_line, strpos(csv_line, chr(9)) + 1), chr(9), $order_id_cell),
    $report_id, TRY_CAST(split_part(csv_line, chr(9), 1) AS INTEGER),
    'expected ' || $columns || ' tab-separated columns as in the header, found '
        || (length(substr(csv_line, strpos(csv_line, chr(9)) + 1)) - length(replace(substr(csv_line, strpos(csv_line, chr(9)) + 1), chr(9), '')) + 1),
    substr(csv_line, strpos(csv_line, chr(9)) + 1), $run_id
FROM order_report_rejects
-- The reader's rejects are the whole file's: quarantined with the first part only.
WHERE $first_part;

CREATE OR REPLACE TEMP TABLE order_report_items AS
SELECT
    *,
    coalesce(report_money(item_price), 0) AS item_amount,
    coalesce(report_money(shipping_price), 0) AS shipping_amount,
    coalesce(report_money(gift_wrap_price), 0) AS gift_wrap_amount,
    abs(coalesce(report_money(item_promotion_discount), 0)) AS item_discount,
    abs(coalesce(report_money(ship_promotion_discount), 0)) AS ship_discount,
    abs(coalesce(report_money(item_promotion_discount), 0)) + abs(coalesce(report_money(ship_promotion_discount), 0)) AS discount_amount,
    coalesce(report_money(item_tax), 0) AS item_tax_amount,
    coalesce(report_money(shipping_tax), 0) AS shipping_tax_amount,
    coalesce(report_money(gift_wrap_tax), 0) AS gift_wrap_tax_amount,
    coalesce(report_money(item_tax), 0) + coalesce(report_money(shipping_tax), 0) + coalesce(report_money(gift_wrap_tax), 0) AS tax_amount,
    -- An item cancelled inside an order that stands (the order's own cancellation covers all its lines).
    upper(trim(item_status)) IN ('CANCELLED', 'CANCELED') AND status <> 'CANCELLED' AS item_cancelled,
    -- "For self-fulfilled orders, item price is not shown for orders in a 'pending' state."
    status NOT IN ('PENDING', 'PENDING_AVAILABILITY') AND report_money(item_price) IS NOT NULL AS priced,
    CASE WHEN upper(trim(item_status)) = 'SHIPPED' THEN qty ELSE 0 END AS shipped_qty,
    CASE WHEN upper(trim(item_status)) IN ('CANCELLED', 'CANCELED') THEN 0 WHEN upper(trim(item_status)) = 'SHIPPED' THEN 0 ELSE qty END AS unshipped_qty,
    -- Files before May 2026 have no order-item-id: the line's position in its order stands in.
    coalesce(nullif(trim(order_item_id), ''), order_id || '-' || row_number() OVER (PARTITION BY order_id ORDER BY line_number)) AS item_id
FROM order_report_typed t
WHERE t.reason = '' AND NOT EXISTS (SELECT 1 FROM order_report_held h WHERE h.order_id = t.order_id);

CREATE OR REPLACE TEMP TABLE order_report_orders AS
WITH items AS (
    SELECT
        *,
        CASE WHEN item_cancelled THEN 0
             ELSE item_amount + shipping_amount + gift_wrap_amount - discount_amount + CASE WHEN tax_added THEN tax_amount ELSE 0 END END AS paid,
        {
            'orderItemId': item_id,
            'quantityOrdered': qty,
            'product': {
                'asin': asin, 'title': product_name, 'sellerSku': sku,
                'price': CASE WHEN priced THEN {'unitPrice': money_json(unit_price(item_amount, qty), currency_code)} END
            },
            'proceeds': CASE WHEN priced AND status <> 'CANCELLED' AND NOT item_cancelled THEN {
                'proceedsTotal': money_json(paid, currency_code),  -- the item is not cancelled here, so paid is its total
                'breakdowns': list_filter([
                    {'type': 'ITEM', 'subtotal': money_json(item_amount, currency_code), 'detailedBreakdowns': NULL},
                    CASE WHEN shipping_amount <> 0 THEN {'type': 'SHIPPING', 'subtotal': money_json(shipping_amount, currency_code), 'detailedBreakdowns': NULL} END,
                    CASE WHEN gift_wrap_amount <> 0 THEN {'type': 'GIFT_WRAP', 'subtotal': money_json(gift_wrap_amount, currency_code), 'detailedBreakdowns': NULL} END,
                    CASE WHEN discount_amount <> 0 THEN {'type': 'DISCOUNT', 'subtotal': money_json(-discount_amount, currency_code),
                        'detailedBreakdowns': list_filter([
                            CASE WHEN item_discount <> 0 THEN {'subtype': 'ITEM', 'value': money_json(-item_discount, currency_code)} END,
                            CASE WHEN ship_discount <> 0 THEN {'subtype': 'SHIPPING', 'value': money_json(-ship_discount, currency_code)} END
                        ], lambda d: d IS NOT NULL)} END,
                    {'type': 'TAX', 'subtotal': money_json(tax_amount, currency_code),
                        'detailedBreakdowns': list_filter([
                            {'subtype': 'ITEM', 'value': money_json(item_tax_amount, currency_code)},
                            CASE WHEN shipping_tax_amount <> 0 THEN {'subtype': 'SHIPPING', 'value': money_json(shipping_tax_amount, currency_code)} END,
                            CASE WHEN gift_wrap_tax_amount <> 0 THEN {'subtype': 'GIFT_WRAP', 'value': money_json(gift_wrap_tax_amount, currency_code)} END
                        ], lambda d: d IS NOT NULL)}
                ], lambda b: b IS NOT NULL)
            } END,
            'cancellation': CASE WHEN item_cancelled THEN {'cancellationExecution': {'cancelReason': 'item-status ' || trim(item_status) || ' in the order report'}} END,
            'fulfillment': {'quantityFulfilled': shipped_qty, 'quantityUnfulfilled': unshipped_qty}
        } AS item
    FROM order_report_items
),
-- The amounts of the items that count: not cancelled inside their order.
counted AS (
    SELECT
        *,
        CASE WHEN item_cancelled THEN 0 ELSE item_amount END AS c_item,
        CASE WHEN item_cancelled THEN 0 ELSE shipping_amount END AS c_shipping,
        CASE WHEN item_cancelled THEN 0 ELSE gift_wrap_amount END AS c_gift_wrap,
        CASE WHEN item_cancelled THEN 0 ELSE discount_amount END AS c_discount,
        CASE WHEN item_cancelled THEN 0 ELSE tax_amount END AS c_tax
    FROM items
)
SELECT
    order_id,
    any_value(marketplace_id) AS marketplace_id,
    any_value(fulfilled_by) AS fulfilled_by,
    any_value(status) AS status,
    min(created_ts) AS created_ts,
    max(updated_ts) AS updated_ts,
    to_json({
        'orderId': order_id,
        'createdTime': strftime(min(created_ts), '%Y-%m-%dT%H:%M:%SZ'),
        'lastUpdatedTime': strftime(max(updated_ts), '%Y-%m-%dT%H:%M:%SZ'),
        'salesChannel': {
            'channelName': CASE WHEN lower(any_value(trim(sales_channel))) = 'non-amazon' THEN 'NON_AMAZON' ELSE 'AMAZON' END,
            'marketplaceId': any_value(marketplace_id),
            'marketplaceName': any_value(trim(sales_channel))
        },
        'recipient': CASE WHEN any_value(status) IN ('UNSHIPPED', 'PARTIALLY_SHIPPED', 'SHIPPED') AND any_value(ship_country) IS NOT NULL THEN
            {'deliveryAddress': {'city': any_value(ship_city), 'stateOrRegion': any_value(ship_state), 'countryCode': any_value(ship_country)}} END,
        'proceeds': CASE WHEN coalesce(bool_and(priced) FILTER (WHERE NOT item_cancelled), bool_and(priced)) AND any_value(status) <> 'CANCELLED' THEN {
            'grandTotal': money_json(sum(paid), any_value(currency_code)),
            'breakdowns': list_filter([
                {'type': 'ITEM', 'subtotal': money_json(sum(c_item), any_value(currency_code))},
                CASE WHEN sum(c_shipping) <> 0 THEN {'type': 'SHIPPING', 'subtotal': money_json(sum(c_shipping), any_value(currency_code))} END,
                CASE WHEN sum(c_gift_wrap) <> 0 THEN {'type': 'GIFT_WRAP', 'subtotal': money_json(sum(c_gift_wrap), any_value(currency_code))} END,
                CASE WHEN sum(c_discount) <> 0 THEN {'type': 'DISCOUNT', 'subtotal': money_json(-sum(c_discount), any_value(currency_code))} END,
                {'type': 'TAX', 'subtotal': money_json(sum(c_tax), any_value(currency_code))}
            ], lambda b: b IS NOT NULL)
        } END,
        'fulfillment': {
            'fulfillmentStatus': any_value(status),
            'fulfilledBy': any_value(fulfilled_by),
            'fulfillmentServiceLevel': upper(regexp_replace(any_value(trim(ship_service_level)), '([a-z])([A-Z])', '\1_\2', 'g'))
        },
        'orderItems': list(item ORDER BY line_number)
    })::VARCHAR AS payload
FROM counted
GROUP BY order_id;

CREATE OR REPLACE TEMP TABLE incoming AS
SELECT order_id, marketplace_id, payload, CAST($report_id AS VARCHAR) AS request_id, 'report' AS source,
    CAST($fetched_at AS TIMESTAMPTZ) AS fetched_at
FROM order_report_orders;
