-- marts.fees, a table: its DDL and data dictionary, applied with the warehouse's schema; then its build for one
-- partition window (the statements that use $start and $end), which the mart's asset runs.
CREATE TABLE IF NOT EXISTS marts.fees (
    settlement_id      VARCHAR NOT NULL,
    marketplace_id     VARCHAR,
    currency           VARCHAR NOT NULL,
    period_start       TIMESTAMPTZ,
    period_end         TIMESTAMPTZ,
    deposit_date       TIMESTAMPTZ,
    posted_date        DATE,
    line_class         VARCHAR NOT NULL,
    transaction_type   VARCHAR,
    amount_type        VARCHAR,
    amount_description VARCHAR,
    amount             DECIMAL(18, 2) NOT NULL,
    lines              INTEGER NOT NULL,
    end_date           DATE NOT NULL
);
COMMENT ON TABLE marts.fees IS 'What Amazon charged, by fee type and period: settlement lines classed fee, service_fee or subscription, per settlement and posting day.';
COMMENT ON COLUMN marts.fees.settlement_id IS 'The settlement the fees were booked in (core.settlements).';
COMMENT ON COLUMN marts.fees.marketplace_id IS 'Marketplace of the settlement.';
COMMENT ON COLUMN marts.fees.currency IS 'ISO 4217 currency of amount.';
COMMENT ON COLUMN marts.fees.period_start IS 'Start of the settlement period, UTC.';
COMMENT ON COLUMN marts.fees.period_end IS 'End of the settlement period, UTC.';
COMMENT ON COLUMN marts.fees.deposit_date IS 'When the settlement was paid out, UTC.';
COMMENT ON COLUMN marts.fees.posted_date IS 'UTC day Amazon posted the fees: group by month or week of this for calendar periods.';
COMMENT ON COLUMN marts.fees.line_class IS 'fee (per item: commission, FBA fulfilment, refund administration...), service_fee (advertising, services) or subscription (the selling plan).';
COMMENT ON COLUMN marts.fees.transaction_type IS 'As Amazon sends it: Order, Refund, other-transaction, ServiceFee...';
COMMENT ON COLUMN marts.fees.amount_type IS 'As Amazon sends it, e.g. ItemFees.';
COMMENT ON COLUMN marts.fees.amount_description IS 'The fee type as Amazon names it, e.g. Commission, FBAPerUnitFulfillmentFee, RefundCommission, Subscription Fee.';
COMMENT ON COLUMN marts.fees.amount IS 'Signed sum: negative is charged to the seller, positive is credited back (e.g. commission returned on a refund).';
COMMENT ON COLUMN marts.fees.lines IS 'Number of settlement lines summed.';
COMMENT ON COLUMN marts.fees.end_date IS 'The settlement''s end_date (the partition).';

-- marts.fees for the settlements that ended in the window: delete, then insert.
-- A settlement Amazon listed again under a newer report in another window moves to that window in core
-- (core/sql/settlement_window.sql); its rows of the old window go too, so it never counts twice here.
DELETE FROM marts.fees
WHERE (end_date >= $start AND end_date < $end)
   OR settlement_id IN (SELECT settlement_id FROM core.settlement_lines WHERE end_date >= $start AND end_date < $end);

INSERT INTO marts.fees BY NAME
SELECT
    l.settlement_id,
    any_value(s.marketplace_id) AS marketplace_id,
    l.currency,
    any_value(s.period_start) AS period_start,
    any_value(s.period_end) AS period_end,
    any_value(s.deposit_date) AS deposit_date,
    CAST(l.posted_ts AS DATE) AS posted_date,
    l.line_class,
    l.transaction_type,
    l.amount_type,
    l.amount_description,
    sum(l.amount) AS amount,
    count(*) AS lines,
    l.end_date
FROM core.settlement_lines l
LEFT JOIN core.settlements s USING (settlement_id)
WHERE l.end_date >= $start AND l.end_date < $end
  AND l.line_class IN ('fee', 'service_fee', 'subscription')
GROUP BY l.settlement_id, l.currency, CAST(l.posted_ts AS DATE), l.line_class, l.transaction_type, l.amount_type,
         l.amount_description, l.end_date;
