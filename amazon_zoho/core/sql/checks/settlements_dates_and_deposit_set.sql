-- Settlements of the window without a period, deposit date, deposit or currency: a date or amount that did not parse
-- must have sent its settlement to ops.quarantine (settlement_window.sql), never into core as NULL.
SELECT settlement_id, report_id, period_start, period_end, deposit_date, total_amount, currency
FROM core.settlements
WHERE end_date >= $start AND end_date < $end
  AND (period_start IS NULL OR period_end IS NULL OR deposit_date IS NULL OR total_amount IS NULL OR currency IS NULL)
