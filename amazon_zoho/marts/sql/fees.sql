-- marts.fees for the settlements that ended in the window: delete, then insert.
DELETE FROM marts.fees WHERE end_date >= $start AND end_date < $end;

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
