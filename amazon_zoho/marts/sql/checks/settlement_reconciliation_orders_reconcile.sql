-- Orders bought in the window that settled, but not to the cent (sold <> principal + shipping + tax + promotions).
-- A partially shipped order shows here until its last shipment settles.
SELECT order_id, marketplace_id, currency, status, sold, settled_sale, difference, settlement_ids
FROM marts.settlement_reconciliation
WHERE purchase_date >= $start AND purchase_date < $end AND reconciliation_status = 'difference'
ORDER BY abs(difference) DESC
