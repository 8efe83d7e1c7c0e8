-- Lines of the window without an amount, a posted time or a currency: a cell that did not parse must have sent its
-- row to ops.quarantine (settlement_window.sql), never into core as NULL.
SELECT settlement_id, report_id, line_number, transaction_type, amount, posted_ts, currency
FROM core.settlement_lines
WHERE end_date >= $start AND end_date < $end
  AND (amount IS NULL OR posted_ts IS NULL OR currency IS NULL)
