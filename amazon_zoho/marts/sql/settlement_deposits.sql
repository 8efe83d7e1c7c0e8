-- marts.settlement_deposits, a view: re-created with the warehouse's schema, so it is never stale against core.
CREATE OR REPLACE VIEW marts.settlement_deposits AS
WITH sums AS (
    SELECT
        settlement_id,
        count(*) AS lines,
        sum(amount) AS lines_total,
        coalesce(sum(amount) FILTER (WHERE transaction_type = 'Order' AND line_class IN ('principal', 'shipping', 'tax', 'other_charge', 'promotion')), 0) AS sales,
        coalesce(sum(amount) FILTER (WHERE transaction_type <> 'Order' AND line_class IN ('principal', 'shipping', 'tax', 'other_charge', 'promotion')), 0) AS refunds,
        coalesce(sum(amount) FILTER (WHERE line_class = 'withheld_tax'), 0) AS withheld_tax,
        coalesce(sum(amount) FILTER (WHERE line_class = 'fee'), 0) AS fees,
        coalesce(sum(amount) FILTER (WHERE line_class = 'service_fee'), 0) AS service_fees,
        coalesce(sum(amount) FILTER (WHERE line_class = 'subscription'), 0) AS subscription,
        coalesce(sum(amount) FILTER (WHERE line_class = 'reserve'), 0) AS reserve,
        coalesce(sum(amount) FILTER (WHERE line_class IN ('transfer', 'adjustment', 'other')), 0) AS other
    FROM core.settlement_lines
    GROUP BY settlement_id
)
SELECT
    s.settlement_id, s.report_id, s.marketplace_id, s.currency, s.period_start, s.period_end, s.deposit_date,
    s.total_amount AS deposit, coalesce(m.lines_total, 0) AS lines_total, s.total_amount - coalesce(m.lines_total, 0) AS difference,
    coalesce(m.lines, 0) AS lines,
    m.sales, m.refunds, m.withheld_tax, m.fees, m.service_fees, m.subscription, m.reserve, m.other
FROM core.settlements s
LEFT JOIN sums m USING (settlement_id);
COMMENT ON VIEW marts.settlement_deposits IS 'Per settlement: the deposit against the sum of its lines, and that sum split by what the money is. difference <> 0 only when lines were quarantined.';
COMMENT ON COLUMN marts.settlement_deposits.settlement_id IS 'Amazon settlement id.';
COMMENT ON COLUMN marts.settlement_deposits.report_id IS 'Report file (raw.settlement_reports.archive_path holds its archived copy).';
COMMENT ON COLUMN marts.settlement_deposits.marketplace_id IS 'Marketplace paid out.';
COMMENT ON COLUMN marts.settlement_deposits.currency IS 'ISO 4217 currency of every amount in the row.';
COMMENT ON COLUMN marts.settlement_deposits.period_start IS 'Start of the settlement period, UTC.';
COMMENT ON COLUMN marts.settlement_deposits.period_end IS 'End of the settlement period, UTC.';
COMMENT ON COLUMN marts.settlement_deposits.deposit_date IS 'When Amazon pays out, UTC.';
COMMENT ON COLUMN marts.settlement_deposits.deposit IS 'The deposit total Amazon states (summary row).';
COMMENT ON COLUMN marts.settlement_deposits.lines_total IS 'Sum of the settlement''s lines in core.';
COMMENT ON COLUMN marts.settlement_deposits.difference IS 'deposit - lines_total: 0.00 unless rows of the file were quarantined (ops.quarantine WHERE record_key = report_id).';
COMMENT ON COLUMN marts.settlement_deposits.lines IS 'Number of lines in core.';
COMMENT ON COLUMN marts.settlement_deposits.sales IS 'Order rows: principal, shipping, tax and promotions.';
COMMENT ON COLUMN marts.settlement_deposits.refunds IS 'Refund rows: what went back to buyers.';
COMMENT ON COLUMN marts.settlement_deposits.withheld_tax IS 'Marketplace-facilitator tax withheld by Amazon.';
COMMENT ON COLUMN marts.settlement_deposits.fees IS 'Per-item fees (commission, FBA, refund administration), signed.';
COMMENT ON COLUMN marts.settlement_deposits.service_fees IS 'Service fees (advertising...).';
COMMENT ON COLUMN marts.settlement_deposits.subscription IS 'Selling plan subscription.';
COMMENT ON COLUMN marts.settlement_deposits.reserve IS 'Reserve held (negative) and released (positive).';
COMMENT ON COLUMN marts.settlement_deposits.other IS 'Transfers, adjustments and unrecognised lines.';
