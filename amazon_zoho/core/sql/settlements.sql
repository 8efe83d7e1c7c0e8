-- core.settlements and core.settlement_lines for the window (delete, then insert); rejects to ops.quarantine.
-- Rows come typed from settlement_window.sql: dates read in the file's marketplace's formats, one report per settlement.

-- What a line's money is, from Amazon's (transaction-type, amount-type, amount-description). Names, with where
-- they are documented or seen:
-- - Seller Central "Payments reports" help (sellercentral.amazon.in itemID 791; .it/.fr itemID 200141650 for the
--   transaction kinds Order payment, Refund, Miscellaneous Adjustments, Chargeback, A-to-Z Guarantee) and the V2
--   change note (https://developer-docs.amazon.com/sp-api/changelog/update-deprecation-of-two-payment-settlement-report-types):
--   amount-type ItemPrice / ItemFees / ItemWithheldTax / Promotion / other-transaction.
-- - ../shared/reference/API-FACTS.md §4 (parsers and issue amzn/selling-partner-api-models#5353 quoting real V2 rows):
--   Principal, Shipping, Tax, Commission, FBAPerUnitFulfillmentFee, ShippingChargeback, RefundCommission,
--   MarketplaceFacilitatorTax-*, Current Reserve Amount, Previous Reserve Amount Balance, Storage Fee, Subscription Fee,
--   Cost of Advertising, FBAFees / Inbound Defect Fee; transaction types Order, Refund, ServiceFee, Adjustment,
--   Transfer, other-transaction, FBAFees, Chargeback, Liquidations.
-- - dankman23/Score-Zentrale ANALYSE-ERGEBNIS.md (a DE seller's V2 rows): Chargeback Refund.
-- - adwweaver/Amazon-Settlement-Transformer raw_data/settlements/50011020300.txt (a real CA file): Inbound
--   Transportation Fee, Subscription Fee, Successful charge.
-- - a public V2 classifier found by code search (its own tests name real rows): Liquidations Adjustments; AmazonFees /
--   "FBA fulfilment fee per unit - Correction" / Base fee; Debt Adjustment / "Cross-Account Debt Adjustment for es";
--   Order_Retrocharge, Refund_Retrocharge; "Transfer of funds unsuccessful: ..."; Payable to Amazon, Successful charge.
-- - issue #13 of this project (a real seller's file): Micro Deposit, a small deposit Amazon makes to check the bank
--   account, so money moved to the account: a transfer.
-- - WAREHOUSE_DAMAGE, MISSING_FROM_INBOUND, REVERSAL_REIMBURSEMENT, ...: FBA reimbursement reasons as Seller Central's
--   reimbursements report names them; that V2 files write them in amount-description is UNVERIFIED (no public file).
-- Anything else is 'other', which the every_line_classified check lists by name.
CREATE OR REPLACE TEMP MACRO line_class(transaction_type, amount_type, description) AS CASE
    WHEN amount_type = 'ItemWithheldTax' OR description ILIKE 'MarketplaceFacilitator%' OR description ILIKE 'LowValueGoodsTax%'
         OR description ILIKE 'TCS-%' OR description ILIKE 'TDS%' THEN 'withheld_tax'
    WHEN amount_type = 'ItemPrice' AND description = 'Principal' THEN 'principal'
    WHEN amount_type = 'ItemPrice' AND description ILIKE '%tax%' THEN 'tax'
    WHEN amount_type = 'ItemPrice' AND description ILIKE '%shipping%' THEN 'shipping'
    WHEN amount_type = 'ItemPrice' THEN 'other_charge'  -- GiftWrap, RestockingFee, Goodwill, ExportCharge, ...
    WHEN amount_type = 'Promotion' THEN 'promotion'
    WHEN description ILIKE '%reserve%' OR transaction_type ILIKE '%reserve%' THEN 'reserve'
    WHEN description ILIKE '%subscription%' OR transaction_type ILIKE '%subscription%' THEN 'subscription'
    -- Money moved between Amazon and the seller's bank or card: deposits, charges, micro deposits, debt payments.
    WHEN transaction_type ILIKE '%transfer%' OR description ILIKE '%transfer%' OR description ILIKE '%disburse%'
         OR transaction_type ILIKE 'Micro Deposit%' OR description ILIKE 'Micro Deposit%'
         OR transaction_type ILIKE 'Debt %' OR description ILIKE '%Debt Adjustment%'
         OR transaction_type IN ('Payable to Amazon', 'Successful charge', 'Failed charge', 'Debt Payment', 'Seller Repayment')
         OR description IN ('Payable to Amazon', 'Successful charge', 'Failed charge', 'Debt Payment', 'Seller Repayment') THEN 'transfer'
    WHEN transaction_type ILIKE 'ServiceFee' OR amount_type ILIKE '%advertising%' OR description ILIKE '%advertising%' THEN 'service_fee'
    WHEN amount_type ILIKE '%fee%' OR description ILIKE '%fee%' OR transaction_type ILIKE '%fee%' OR amount_type = 'ItemFees'
         OR description ILIKE '%chargeback%' OR description ILIKE '%commission%' OR transaction_type = 'Shipping Services' THEN 'fee'
    -- Reimbursements, reversals, chargebacks, A-to-z claims, liquidation proceeds, retrocharges: Amazon correcting
    -- money already settled.
    WHEN transaction_type ILIKE '%adjustment%' OR amount_type ILIKE '%reimbursement%' OR description ILIKE '%reimbursement%'
         OR description ILIKE '%reversal%' OR transaction_type ILIKE '%reversal%' OR transaction_type ILIKE '%chargeback%'
         OR transaction_type ILIKE 'A-to-z%' OR transaction_type ILIKE 'Liquidation%' OR transaction_type ILIKE '%retrocharge%'
         OR transaction_type ILIKE '%reimbursement%' OR transaction_type ILIKE 'SAFE-T%'
         OR description IN ('WAREHOUSE_DAMAGE', 'WAREHOUSE_LOST', 'MISSING_FROM_INBOUND', 'FREE_REPLACEMENT_REFUND_ITEMS',
                            'COMPENSATED_CLAWBACK', 'INCORRECT_FEES_ITEMS', 'CS_ERROR_ITEMS', 'REMOVAL_ORDER_LOST',
                            'RE_EVALUATION', 'CUSTOMER_RETURN', 'Goodwill') THEN 'adjustment'
    ELSE 'other'
END;

-- A settlement another window wrote from a report since superseded (settlement_reports_window) is replaced here too.
DELETE FROM core.settlements
WHERE (end_date >= $start AND end_date < $end) OR settlement_id IN (SELECT settlement_id FROM settlement_reports_window);
INSERT INTO core.settlements BY NAME
SELECT
    trim("settlement-id") AS settlement_id, report_id, marketplace_id, period_start, period_end,
    deposit_ts AS deposit_date, total_value AS total_amount, line_currency AS currency, end_date
FROM settlement_window
WHERE is_summary AND reject_reason IS NULL;

DELETE FROM core.settlement_lines
WHERE (end_date >= $start AND end_date < $end) OR settlement_id IN (SELECT settlement_id FROM settlement_reports_window);
INSERT INTO core.settlement_lines BY NAME
SELECT
    trim("settlement-id") AS settlement_id, report_id, line_number, "transaction-type" AS transaction_type,
    nullif("order-id", '') AS order_id, nullif("adjustment-id", '') AS adjustment_id, nullif("shipment-id", '') AS shipment_id,
    "marketplace-name" AS marketplace_name, marketplace_id, "amount-type" AS amount_type, "amount-description" AS amount_description,
    line_class(trim("transaction-type"), trim("amount-type"), trim("amount-description")) AS line_class,
    amount_value AS amount, line_currency AS currency, posted_ts,
    nullif("order-item-code", '') AS order_item_code, nullif(sku, '') AS sku,
    TRY_CAST(nullif("quantity-purchased", '') AS INTEGER) AS quantity_purchased, nullif("promotion-id", '') AS promotion_id, end_date
FROM settlement_window
WHERE NOT is_summary AND reject_reason IS NULL;

DELETE FROM ops.quarantine
WHERE source = 'core_settlement_lines'
  AND ((partition_date >= $start AND partition_date < $end) OR record_key IN (SELECT report_id FROM settlement_reports_window));
INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)
SELECT 'core_settlement_lines', w.end_date, w.report_id, s.archive_path, w.line_number, w.reject_reason,
    concat_ws(chr(9), w."settlement-id", w."transaction-type", w."order-id", w."amount-type", w."amount-description", w.amount),
    $run_id
FROM settlement_window w
JOIN raw.settlement_reports s USING (report_id)
WHERE w.reject_reason IS NOT NULL;
