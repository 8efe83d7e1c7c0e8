-- Sales orders to push: the window's orders and those still owed to Zoho, with the Zoho Status from
-- mapping.yaml (`zoho_status_map`), line items pointing at the Zoho ids of their products, and the
-- delivery address as both shipping and billing address (Amazon shares no billing address).
-- An order we cannot build gets the reason in mapping_error and is dead-lettered before any call.
--
-- Money: Zoho computes every total (sandbox/zoho/line_items.py cites how): per line Total = Quantity x
-- List_Price, Total_After_Discount = Total - Discount, Net_Total = that + Tax; per order Sub_Total =
-- sum of Net_Total and Grand_Total = Sub_Total - Discount + Tax + Adjustment. Zoho CRM has no tax-inclusive
-- prices: tax is always added on top. So a line carries what the buyer paid for its item, tax included
-- (VAT-inclusive where the marketplace's prices include tax; the item's sales tax added in the US and
-- Canada), and no Tax or Line_Tax; the order sends no Tax or Discount of its own. Then Zoho's Grand_Total is
-- right whatever Zoho would do with a tax amount:
--   List_Price  = the line's item amount incl. tax / Quantity, rounded half up to the currency's minor unit
--   Discount    = the line's promotion discount (never more than Quantity x List_Price)
--   Adjustment  = order_total - sum(Quantity x List_Price - Discount): shipping and its tax, gift wrap,
--                 COD fee, delivery tip, other charges, and the cents a List_Price rounded away
-- so Grand_Total = order_total to the cent, by construction. The tax (contained or added), shipping and the
-- other charges are also sent as they are, for people to read (mapping.yaml's Amazon_* currency fields).
-- Orders without prices (PENDING, CANCELLED: order_total NULL) are sent at 0: List_Price, Discount and
-- Adjustment 0, so Zoho does not fill in the product's Unit_Price; so is a line without an amount in a priced
-- order. An order whose amounts do not add up (lines with amounts but no order_total, lines summing to more
-- than order_total, order breakdowns that are not the sums of the lines', or items, shipping and promotions
-- (and tax where added) exceeding order_total) is not sent (mapping_error): Zoho never holds a total built
-- from parts that disagree with each other. (order_total above the sum of the lines is allowed: a delivery
-- tip is charged on the order, not on an item.)
CREATE OR REPLACE TEMP TABLE source AS
WITH orders AS (
    SELECT
        o.*,
        oc.contact_key,
        m.zoho_status,
        m.amazon_status IS NOT NULL AS status_known,
        -- The currency's minor unit (ISO 4217: JPY has none; the marketplaces' other currencies have 2 decimals).
        CASE WHEN o.currency IN ('JPY', 'KRW', 'CLP', 'ISK', 'VND') THEN 1 ELSE 100 END AS per_major,
        CASE WHEN o.currency IN ('JPY', 'KRW', 'CLP', 'ISK', 'VND') THEN 1.00 ELSE 0.01 END AS minor_unit
    FROM core.orders o
    JOIN order_contact oc USING (order_id)
    LEFT JOIN zoho_status_map m ON m.amazon_status = o.order_status
    WHERE ((o.purchase_date >= $start AND o.purchase_date < $end) OR o.order_id IN (SELECT record_key FROM backlog))
      AND hash(o.order_id) % $slices = $slice  -- this slice's orders (sync.prepare)
      AND NOT coalesce(m.skip, false)
),
line_money AS (
    -- What the buyer pays for each line's item: the ITEM amount (VAT-inclusive where prices include tax), plus
    -- the tax on the item where tax is added (the line's tax less the part on shipping), in minor units.
    SELECT
        l.*,
        p.zoho_id AS product,
        o.order_total IS NOT NULL AS order_priced,
        o.minor_unit,
        l.item_amount IS NOT NULL OR l.line_total IS NOT NULL AS line_priced,
        CAST((coalesce(l.item_amount, 0)
              + CASE WHEN coalesce(o.prices_include_tax, true) THEN 0 ELSE coalesce(l.item_tax, 0) - coalesce(l.shipping_tax, 0) END
             ) * o.per_major AS BIGINT) AS item_units,
        abs(coalesce(l.promotion_discount, 0)) AS promotion
    FROM core.order_lines l
    JOIN orders o USING (order_id)
    LEFT JOIN zoho_ids p ON p.module = 'Products' AND p.record_key = l.sku
),
line_prices AS (
    -- List_Price: item_units / quantity rounded half up, in whole minor units (integer arithmetic: exact).
    SELECT
        *,
        CAST(CASE WHEN order_priced AND quantity_ordered > 0
                  THEN sign(item_units) * ((2 * abs(item_units) + quantity_ordered) // (2 * quantity_ordered)) * minor_unit
                  ELSE 0 END AS DECIMAL(18, 2)) AS list_price
    FROM line_money
),
line_items AS (
    SELECT
        *,
        CAST(CASE WHEN order_priced THEN least(promotion, greatest(quantity_ordered * list_price, 0)) ELSE 0 END AS DECIMAL(18, 2)) AS discount
    FROM line_prices
),
lines AS (
    SELECT
        order_id,
        list({'product': product, 'sku': sku, 'title': title, 'quantity': quantity_ordered, 'unit_price': unit_price,
              'list_price': list_price, 'discount': discount, 'tax': coalesce(item_tax, 0)} ORDER BY order_item_id) AS line_items,
        sum(quantity_ordered * list_price - discount) AS zoho_lines_total,
        list(order_item_id ORDER BY order_item_id) FILTER (WHERE sku IS NULL) AS lines_without_sku,
        list(sku ORDER BY order_item_id) FILTER (WHERE sku IS NOT NULL AND product IS NULL) AS unsynced_skus,
        list(order_item_id ORDER BY order_item_id) FILTER (WHERE NOT order_priced AND line_priced) AS priced_lines,
        sum(line_total) AS line_totals,
        sum(coalesce(item_amount, 0)) AS items,
        sum(coalesce(item_tax, 0)) AS tax,
        sum(coalesce(shipping, 0)) AS shipping,
        sum(coalesce(promotion_discount, 0)) AS discounts
    FROM line_items
    GROUP BY order_id
),
amounts AS (
    SELECT
        o.order_id,
        CAST(o.order_total - l.zoho_lines_total AS DECIMAL(18, 2)) AS adjustment,
        -- What neither the items, shipping, promotions nor added tax explain: gift wrap, COD fee, delivery tip, other.
        CAST(o.order_total - coalesce(o.item_subtotal, 0) - coalesce(o.shipping_total, 0) - coalesce(o.discount_total, 0)
             - CASE WHEN coalesce(o.prices_include_tax, true) THEN 0 ELSE coalesce(o.tax_total, 0) END AS DECIMAL(18, 2)) AS other_charges,
        concat_ws('; ',
            CASE WHEN o.order_total < l.line_totals THEN 'order_total ' || o.order_total || ' < sum of line totals ' || l.line_totals END,
            CASE WHEN coalesce(o.item_subtotal, 0) <> l.items OR coalesce(o.shipping_total, 0) <> l.shipping
                      OR coalesce(o.discount_total, 0) <> l.discounts OR coalesce(o.tax_total, 0) <> l.tax
                 THEN 'order breakdowns (item, shipping, discount, tax) <> the sums over its lines' END
        ) AS parts_problem
    FROM orders o
    JOIN lines l USING (order_id)
    WHERE o.order_total IS NOT NULL
)
SELECT
    o.order_id AS record_key,
    o.order_id,
    'Amazon order ' || o.order_id AS subject,
    o.zoho_status AS status,
    o.order_status AS amazon_status,
    c.zoho_id AS contact,
    o.marketplace_id,
    o.sales_channel,
    CASE o.fulfillment_channel WHEN 'AFN' THEN 'FBA' WHEN 'MFN' THEN 'FBM' END AS fulfillment_channel,
    o.currency,
    o.purchase_date,
    -- Zoho's datetime format, yyyy-MM-ddTHH:mm:ss+HH:mm; purchase_ts is UTC.
    strftime(timezone('UTC', o.purchase_ts), '%Y-%m-%dT%H:%M:%S') || '+00:00' AS purchase_time,
    coalesce(CAST(timezone(z.time_zone, o.purchase_ts) AS DATE), o.purchase_date) AS purchase_local_date,
    o.order_total,
    CAST(CASE WHEN o.order_total IS NULL THEN 0 ELSE a.adjustment END AS DECIMAL(18, 2)) AS adjustment,
    o.tax_total,
    o.shipping_total,
    o.discount_total,
    a.other_charges,
    o.prices_include_tax,
    nullif(concat_ws(', ', pc.address_line1, nullif(pc.address_line2, '')), '') AS ship_street,
    pc.city AS ship_city,
    pc.state AS ship_state,
    pc.postal_code AS ship_postal_code,
    pc.country_code AS ship_country,
    nullif(concat_ws(', ', pc.address_line1, nullif(pc.address_line2, '')), '') AS bill_street,
    pc.city AS bill_city,
    pc.state AS bill_state,
    pc.postal_code AS bill_postal_code,
    pc.country_code AS bill_country,
    l.line_items,
    CASE
        WHEN NOT o.status_known THEN 'Amazon status ' || coalesce(o.order_status, 'NULL') || ' has no Zoho Status in mapping.yaml (Sales_Orders.status)'
        WHEN o.currency IS NOT NULL AND NOT list_contains($currencies, o.currency)
            THEN 'currency ' || o.currency || ' is not enabled in Zoho (mapping.yaml currencies)'
        WHEN l.order_id IS NULL THEN 'order has no lines in core.order_lines'
        WHEN len(l.lines_without_sku) > 0 THEN 'order lines without a SKU: ' || array_to_string(l.lines_without_sku, ', ')
        WHEN len(l.priced_lines) > 0 THEN 'amounts do not add up: no order_total but amounts on lines ' || array_to_string(l.priced_lines, ', ')
        WHEN a.parts_problem <> '' THEN 'amounts do not add up: ' || a.parts_problem
        WHEN a.other_charges < 0 THEN 'amounts do not add up: order_total ' || o.order_total || ' is less than its items, shipping and promotions'
                                      || CASE WHEN coalesce(o.prices_include_tax, true) THEN '' ELSE ' and tax' END
        WHEN len(l.unsynced_skus) > 0 THEN 'waiting for products not yet in Zoho: ' || array_to_string(l.unsynced_skus, ', ')
        WHEN o.contact_key IS NOT NULL AND c.zoho_id IS NULL THEN 'waiting for contact ' || o.contact_key || ' (not yet in Zoho)'
    END AS mapping_error
FROM orders o
LEFT JOIN lines l USING (order_id)
LEFT JOIN amounts a USING (order_id)
LEFT JOIN core.marketplaces z USING (marketplace_id)
LEFT JOIN zoho_ids c ON c.module = 'Contacts' AND c.record_key = o.contact_key
LEFT JOIN pii.order_contacts pc USING (order_id);
