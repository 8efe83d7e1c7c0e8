-- marts.daily_sales for the window: delete, then insert (one row per day, marketplace and currency).
DELETE FROM marts.daily_sales WHERE purchase_date >= $start AND purchase_date < $end;

INSERT INTO marts.daily_sales BY NAME
WITH lines AS (
    SELECT order_id, sum(quantity_ordered) AS units_ordered, sum(quantity_shipped) AS units_shipped
    FROM core.order_lines
    WHERE purchase_date >= $start AND purchase_date < $end
    GROUP BY order_id
)
SELECT
    o.purchase_date,
    o.marketplace_id,
    any_value(o.sales_channel) AS sales_channel,
    o.currency,
    count(*) AS orders,
    count(*) FILTER (WHERE o.status IN ('cancelled', 'unfulfillable')) AS cancelled_orders,
    count(*) FILTER (WHERE o.status = 'pending') AS pending_orders,
    coalesce(sum(l.units_ordered) FILTER (WHERE o.status NOT IN ('cancelled', 'unfulfillable')), 0) AS units_ordered,
    coalesce(sum(l.units_shipped), 0) AS units_shipped,
    coalesce(sum(o.item_subtotal), 0) AS item_sales,
    coalesce(sum(o.shipping_total), 0) AS shipping,
    coalesce(sum(o.discount_total), 0) AS promotions,
    coalesce(sum(o.tax_total), 0) AS tax,
    coalesce(sum(o.order_total), 0) AS buyer_paid,
    coalesce(sum(o.order_total), 0) - coalesce(sum(o.tax_total) FILTER (WHERE o.order_total IS NOT NULL), 0) AS sales_ex_tax
FROM core.orders o
LEFT JOIN lines l USING (order_id)
WHERE o.purchase_date >= $start AND o.purchase_date < $end
GROUP BY o.purchase_date, o.marketplace_id, o.currency;
