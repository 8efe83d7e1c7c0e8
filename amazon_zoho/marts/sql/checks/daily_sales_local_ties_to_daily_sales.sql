-- Marketplaces and currencies whose orders or money by local day differ, over all days, from the UTC-day
-- mart's: moving orders between days must never create or lose any.
WITH utc AS (
    SELECT marketplace_id, currency, sum(orders) AS orders, sum(buyer_paid) AS buyer_paid, sum(tax) AS tax
    FROM marts.daily_sales
    GROUP BY ALL
),
local AS (
    SELECT marketplace_id, currency, sum(orders) AS orders, sum(buyer_paid) AS buyer_paid, sum(tax) AS tax
    FROM marts.daily_sales_local
    GROUP BY ALL
)
SELECT marketplace_id, currency, u.orders, l.orders AS local_orders, u.buyer_paid, l.buyer_paid AS local_buyer_paid
FROM utc u
FULL OUTER JOIN local l USING (marketplace_id, currency)
WHERE u.orders IS DISTINCT FROM l.orders OR u.buyer_paid IS DISTINCT FROM l.buyer_paid OR u.tax IS DISTINCT FROM l.tax
