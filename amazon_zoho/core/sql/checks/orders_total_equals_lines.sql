-- Orders whose total is not the sum of their lines' parts, to the cent (tolerance 0.00). The same rules as the
-- rejects in order_window.sql (which keep such orders out of core), checked again on what core holds.
-- Amazon's proceeds semantics: order_total (grandTotal) is what the buyer paid, the sum of the lines' line_total
-- plus the order-level delivery_tip. A line's parts are item_amount + shipping + gift_wrap + cod_fee +
-- other_charges + promotion_discount, plus item_tax where tax is added on top; where the order's prices include
-- tax (core.orders.prices_include_tax: per marketplace and per API, amazon/marketplaces.csv) TAX only states the
-- tax those contain. The order's breakdowns are the sums of its lines' breakdowns. A line cancelled in an order that
-- stands counts 0. Every amount is already rounded to the cent by Amazon, so sums of them are exact: any difference
-- is a wrong row, never rounding. Orders without prices (PENDING, CANCELLED) must have no priced lines either.
WITH lines AS (
    SELECT
        order_id,
        count(*) AS lines,
        count(*) FILTER (WHERE NOT coalesce(cancelled, false)) AS standing_lines,
        count(line_total) FILTER (WHERE NOT coalesce(cancelled, false)) AS priced_lines,
        sum(line_total) AS line_totals,
        sum(coalesce(item_amount, 0)) AS items,
        sum(coalesce(item_tax, 0)) AS tax,
        sum(coalesce(shipping, 0)) AS shipping,
        sum(coalesce(gift_wrap, 0)) AS gift_wrap,
        sum(coalesce(cod_fee, 0)) AS cod_fee,
        sum(coalesce(other_charges, 0)) AS other,
        sum(coalesce(promotion_discount, 0)) AS discounts
    FROM core.order_lines
    WHERE purchase_date >= $start AND purchase_date < $end
    GROUP BY order_id
),
-- The DuckDB dialect of sqlfluff 4.5 cannot parse `x IS DISTINCT FROM y AS alias` in a select list (the last FROM
-- below): the noqa comments silence that parse error and what follows from it (this CTE looks unused).
compared AS (  -- noqa: ST03
    SELECT
        o.order_id, o.currency, o.prices_include_tax, o.order_total, l.line_totals + coalesce(o.delivery_tip, 0) AS line_totals,
        l.items + l.shipping + l.gift_wrap + l.cod_fee + l.other + l.discounts + coalesce(o.delivery_tip, 0)
            + CASE WHEN coalesce(o.prices_include_tax, false) THEN 0 ELSE l.tax END AS sum_of_parts,
        o.line_count, l.lines, l.standing_lines, l.priced_lines,
        coalesce(o.item_subtotal, 0) <> l.items OR coalesce(o.tax_total, 0) <> l.tax OR coalesce(o.shipping_total, 0) <> l.shipping
            OR coalesce(o.gift_wrap_total, 0) <> l.gift_wrap OR coalesce(o.cod_fee_total, 0) <> l.cod_fee
            OR coalesce(o.other_total, 0) <> l.other OR coalesce(o.discount_total, 0) <> l.discounts AS breakdowns_differ
    FROM core.orders o
    LEFT JOIN lines l USING (order_id)
    WHERE o.purchase_date >= $start AND o.purchase_date < $end
)
SELECT
    order_id, currency, order_total, line_totals, sum_of_parts, order_total - sum_of_parts AS difference,
    concat_ws('; ',
        CASE WHEN o_lines_missing THEN 'line_count ' || line_count || ' but ' || coalesce(lines, 0) || ' lines' END,
        CASE WHEN order_total IS NULL AND priced_lines > 0 THEN 'unpriced order with priced lines' END,
        CASE WHEN order_total IS NOT NULL AND priced_lines < standing_lines THEN 'priced order with unpriced lines' END,
        CASE WHEN order_total <> line_totals THEN 'order_total <> sum of line_total + delivery_tip' END,
        CASE WHEN order_total <> sum_of_parts THEN 'order_total <> sum of line parts + delivery_tip' END,
        CASE WHEN order_total IS NOT NULL AND prices_include_tax IS NULL AND sum_of_parts <> line_totals THEN 'tax convention unknown' END,
        CASE WHEN order_total IS NOT NULL AND breakdowns_differ THEN 'order breakdowns <> sum of line breakdowns' END
    ) AS problem
FROM (SELECT *, line_count IS DISTINCT FROM lines AS o_lines_missing FROM compared)  -- noqa: PRS, AL01
WHERE problem <> ''
