-- core.settlements and core.settlement_lines for the window (delete, then insert); rejects to ops.quarantine.
CREATE OR REPLACE TEMP MACRO amazon_ts(t) AS coalesce(
    try_strptime(replace(nullif(trim(t), ''), ' UTC', ''), ['%Y-%m-%d %H:%M:%S', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y', '%Y-%m-%d']),
    TRY_CAST(nullif(trim(t), '') AS TIMESTAMPTZ)
);

-- What a line's money is, from Amazon's (transaction-type, amount-type, amount-description). The first
-- rules cover every row the sandbox writes; the rest name the kinds real files add (storage fees,
-- advertising, reimbursements, transfers). Anything else is 'other', which an asset check reports.
CREATE OR REPLACE TEMP MACRO line_class(transaction_type, amount_type, description) AS CASE
    WHEN amount_type = 'ItemWithheldTax' OR description ILIKE 'MarketplaceFacilitator%' THEN 'withheld_tax'
    WHEN amount_type = 'ItemPrice' AND description = 'Principal' THEN 'principal'
    WHEN amount_type = 'ItemPrice' AND description ILIKE '%tax%' THEN 'tax'
    WHEN amount_type = 'ItemPrice' AND description ILIKE '%shipping%' THEN 'shipping'
    WHEN amount_type = 'ItemPrice' THEN 'other_charge'
    WHEN amount_type = 'Promotion' THEN 'promotion'
    WHEN description ILIKE '%reserve%' THEN 'reserve'
    WHEN description ILIKE '%subscription%' THEN 'subscription'
    WHEN transaction_type ILIKE 'ServiceFee' OR amount_type ILIKE '%advertising%' THEN 'service_fee'
    WHEN amount_type ILIKE '%fee%' OR description ILIKE '%fee%' OR amount_type = 'ItemFees' THEN 'fee'
    WHEN transaction_type ILIKE '%transfer%' OR description ILIKE '%transfer%' OR description ILIKE '%disburse%'
         OR description IN ('Payable to Amazon', 'Successful charge', 'Failed charge') THEN 'transfer'
    WHEN transaction_type ILIKE '%adjustment%' OR amount_type ILIKE '%reimbursement%' OR description ILIKE '%reimbursement%'
         OR description ILIKE '%reversal%' THEN 'adjustment'
    ELSE 'other'
END;

DELETE FROM core.settlements WHERE end_date >= $start AND end_date < $end;
INSERT INTO core.settlements BY NAME
SELECT
    "settlement-id" AS settlement_id, report_id, marketplace_id,
    amazon_ts("settlement-start-date") AS period_start, amazon_ts("settlement-end-date") AS period_end,
    amazon_ts("deposit-date") AS deposit_date, total_value AS total_amount, line_currency AS currency, end_date
FROM settlement_window
WHERE is_summary AND reject_reason IS NULL
QUALIFY row_number() OVER (PARTITION BY "settlement-id" ORDER BY report_id DESC) = 1;

DELETE FROM core.settlement_lines WHERE end_date >= $start AND end_date < $end;
INSERT INTO core.settlement_lines BY NAME
SELECT
    "settlement-id" AS settlement_id, report_id, line_number, "transaction-type" AS transaction_type,
    nullif("order-id", '') AS order_id, nullif("adjustment-id", '') AS adjustment_id, nullif("shipment-id", '') AS shipment_id,
    "marketplace-name" AS marketplace_name, marketplace_id, "amount-type" AS amount_type, "amount-description" AS amount_description,
    line_class("transaction-type", "amount-type", "amount-description") AS line_class,
    amount_value AS amount, line_currency AS currency, amazon_ts("posted-date-time") AS posted_ts,
    nullif("order-item-code", '') AS order_item_code, nullif(sku, '') AS sku,
    TRY_CAST(nullif("quantity-purchased", '') AS INTEGER) AS quantity_purchased, nullif("promotion-id", '') AS promotion_id, end_date
FROM settlement_window
WHERE NOT is_summary AND reject_reason IS NULL;

DELETE FROM ops.quarantine WHERE source = 'core_settlement_lines' AND partition_date >= $start AND partition_date < $end;
INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)
SELECT 'core_settlement_lines', w.end_date, w.report_id, s.archive_path, w.line_number, w.reject_reason,
    concat_ws(chr(9), w."settlement-id", w."transaction-type", w."order-id", w."amount-type", w."amount-description", w.amount),
    $run_id
FROM settlement_window w
JOIN raw.settlement_reports s USING (report_id)
WHERE w.reject_reason IS NOT NULL;
