-- Days of the window where the mart's money does not equal core.orders' to the cent (a mart bug, never data).
WITH core_days AS (
    SELECT purchase_date, marketplace_id, currency, count(*) AS orders, coalesce(sum(order_total), 0) AS buyer_paid,
           coalesce(sum(tax_total), 0) AS tax
    FROM core.orders
    WHERE purchase_date >= $start AND purchase_date < $end
    GROUP BY ALL
)
SELECT c.purchase_date, c.marketplace_id, c.currency, c.orders, m.orders AS mart_orders, c.buyer_paid, m.buyer_paid AS mart_buyer_paid
FROM core_days c
FULL OUTER JOIN (SELECT * FROM marts.daily_sales WHERE purchase_date >= $start AND purchase_date < $end) m
    USING (purchase_date, marketplace_id, currency)
WHERE c.orders IS DISTINCT FROM m.orders OR c.buyer_paid IS DISTINCT FROM m.buyer_paid OR c.tax IS DISTINCT FROM m.tax
