-- core.settlements and core.settlement_lines for the window (delete, then insert).
CREATE OR REPLACE TEMP MACRO amazon_ts(t) AS coalesce(
    try_strptime(replace(nullif(trim(t), ''), ' UTC', ''), ['%Y-%m-%d %H:%M:%S', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y', '%Y-%m-%d']),
    TRY_CAST(nullif(trim(t), '') AS TIMESTAMPTZ)
);

DELETE FROM core.settlements WHERE end_date >= $start AND end_date < $end;
INSERT INTO core.settlements
SELECT
    "settlement-id", report_id, marketplace_id,
    amazon_ts("settlement-start-date"), amazon_ts("settlement-end-date"), amazon_ts("deposit-date"),
    total_value, currency, end_date
FROM settlement_window
WHERE is_summary AND total_value IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY "settlement-id" ORDER BY report_id DESC) = 1;

DELETE FROM core.settlement_lines WHERE end_date >= $start AND end_date < $end;
INSERT INTO core.settlement_lines
SELECT
    w."settlement-id", w.report_id, w.line_number, w."transaction-type", nullif(w."order-id", ''),
    nullif(w."adjustment-id", ''), nullif(w."shipment-id", ''), w."marketplace-name", w."amount-type",
    w."amount-description", w.amount_value, coalesce(nullif(w.currency, ''), s.currency),
    amazon_ts(w."posted-date-time"), nullif(w."order-item-code", ''), nullif(w.sku, ''),
    TRY_CAST(nullif(w."quantity-purchased", '') AS INTEGER), nullif(w."promotion-id", ''), w.end_date
FROM settlement_window w
LEFT JOIN core.settlements s ON s.settlement_id = w."settlement-id"
WHERE NOT w.is_summary AND w.amount_value IS NOT NULL;

DELETE FROM ops.quarantine WHERE source = 'core_settlement_lines' AND partition_date >= $start AND partition_date < $end;
INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)
SELECT 'core_settlement_lines', w.end_date, w.report_id, s.archive_path, w.line_number,
    CASE WHEN w.is_summary THEN 'summary total-amount is not a number: ' || w."total-amount"
         ELSE 'amount is not a number in this marketplace''s format: ' || coalesce(w.amount, 'empty') END,
    concat_ws(chr(9), w."settlement-id", w."transaction-type", w."order-id", w."amount-type", w."amount-description", w.amount),
    $run_id
FROM settlement_window w
JOIN raw.settlement_reports s USING (report_id)
WHERE (w.is_summary AND w.total_value IS NULL) OR (NOT w.is_summary AND w.amount_value IS NULL);
