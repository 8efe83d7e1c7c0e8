-- Orders whose total is not the sum of their lines' parts, to the cent (tolerance 0.00).
-- Amazon's proceeds semantics (sandbox/amazon/orders_view.py): order_total (grandTotal) is what the buyer
-- paid. Where prices include tax (EU, UK, JP: core.marketplaces.prices_include_tax) it is
-- ITEM + SHIPPING + DISCOUNT and TAX only states the VAT those contain; where tax is added (US, CA) it is
-- ITEM + SHIPPING + DISCOUNT + TAX. Each line's proceedsTotal follows the same rule, and the order's
-- breakdowns are the sums of its lines' breakdowns. Every amount is already rounded to the cent by Amazon,
-- so sums of them are exact: any difference is a wrong row, never rounding. Orders without prices
-- (PENDING, CANCELLED) must have no priced lines either.
WITH lines AS (
    SELECT
        order_id,
        count(*) AS lines,
        count(line_total) AS priced_lines,
        sum(line_total) AS line_totals,
        sum(coalesce(item_amount, 0)) AS items,
        sum(coalesce(item_tax, 0)) AS tax,
        sum(coalesce(shipping, 0)) AS shipping,
        sum(coalesce(promotion_discount, 0)) AS discounts
    FROM core.order_lines
    WHERE purchase_date >= $start AND purchase_date < $end
    GROUP BY order_id
),
-- The DuckDB dialect of sqlfluff 4.5 cannot parse `x IS DISTINCT FROM y AS alias` in a select list (the last FROM
-- below): the noqa comments silence that parse error and what follows from it (this CTE looks unused).
compared AS (  -- noqa: ST03
    SELECT
        o.order_id, o.currency, o.prices_include_tax, o.order_total, l.line_totals,
        l.items + l.shipping + l.discounts + CASE WHEN o.prices_include_tax THEN 0 ELSE l.tax END AS sum_of_parts,
        o.line_count, l.lines, l.priced_lines,
        o.item_subtotal, l.items, o.tax_total, l.tax, o.shipping_total, l.shipping, o.discount_total, l.discounts
    FROM core.orders o
    LEFT JOIN lines l USING (order_id)
    WHERE o.purchase_date >= $start AND o.purchase_date < $end
)
SELECT
    order_id, currency, order_total, line_totals, sum_of_parts, order_total - sum_of_parts AS difference,
    concat_ws('; ',
        CASE WHEN o_lines_missing THEN 'line_count ' || line_count || ' but ' || coalesce(lines, 0) || ' lines' END,
        CASE WHEN order_total IS NULL AND priced_lines > 0 THEN 'unpriced order with priced lines' END,
        CASE WHEN order_total IS NOT NULL AND priced_lines < lines THEN 'priced order with unpriced lines' END,
        CASE WHEN order_total <> line_totals THEN 'order_total <> sum of line_total' END,
        CASE WHEN order_total <> sum_of_parts THEN 'order_total <> sum of line parts' END,
        CASE WHEN order_total IS NOT NULL AND prices_include_tax IS NULL THEN 'marketplace tax convention unknown' END,
        CASE WHEN order_total IS NOT NULL AND (coalesce(item_subtotal, 0) <> items OR coalesce(tax_total, 0) <> tax
             OR coalesce(shipping_total, 0) <> shipping OR coalesce(discount_total, 0) <> discounts)
             THEN 'order breakdowns <> sum of line breakdowns' END
    ) AS problem
FROM (SELECT *, line_count IS DISTINCT FROM lines AS o_lines_missing FROM compared)  -- noqa: PRS, AL01
WHERE problem <> ''
