-- Typed settlement rows of the window, in the formats of the file's marketplace (core.marketplaces, read with
-- settlement_formats.sql's macros), each with the reason it cannot enter core (reject_reason), if any.

-- Amazon can list one settlement under more than one report id. Each settlement counts once, from the newest
-- report that carries it (created last; then the larger report id), chosen over all of raw so every window agrees.
-- The window takes every settlement with a report in it, and that settlement's rows from its chosen report,
-- wherever that report's partition is; the other reports' rows stay in raw (provenance) and out of core.
CREATE OR REPLACE TEMP TABLE settlement_reports_window AS
WITH carried AS (
    SELECT DISTINCT report_id, trim("settlement-id") AS settlement_id
    FROM raw.settlement_rows
    WHERE nullif(trim("settlement-id"), '') IS NOT NULL
),
ranked AS (
    SELECT
        c.settlement_id, c.report_id, s.end_date,
        row_number() OVER (
            PARTITION BY c.settlement_id
            ORDER BY s.created_time DESC NULLS LAST, TRY_CAST(c.report_id AS HUGEINT) DESC NULLS LAST, c.report_id DESC
        ) = 1 AS chosen
    FROM carried c
    JOIN raw.settlement_reports s USING (report_id)
)
SELECT settlement_id, report_id, end_date, chosen
FROM ranked
WHERE settlement_id IN (SELECT settlement_id FROM ranked WHERE end_date >= $start AND end_date < $end);

CREATE OR REPLACE TEMP TABLE settlement_window AS
WITH picked AS (
    -- The chosen report's rows of each settlement, and the window's rows without a settlement id (rejected below).
    SELECT r.*, w.end_date
    FROM raw.settlement_rows r
    JOIN settlement_reports_window w ON w.report_id = r.report_id AND w.settlement_id = trim(r."settlement-id") AND w.chosen
    UNION ALL BY NAME
    SELECT r.*, s.end_date
    FROM raw.settlement_rows r
    JOIN raw.settlement_reports s USING (report_id)
    WHERE s.end_date >= $start AND s.end_date < $end AND nullif(trim(r."settlement-id"), '') IS NULL
),
rows AS (
    SELECT
        r.*, s.marketplace_id, coalesce(m.decimal_comma, false) AS decimal_comma, m.currency AS marketplace_currency,
        settlement_date_order(m.posted_date_format) AS date_order,
        nullif(trim(r."total-amount"), '') IS NOT NULL AS is_summary,
        -- Detail rows leave currency empty: they are in the currency of their file's summary row.
        max(nullif(trim(r.currency), '')) FILTER (WHERE nullif(trim(r."total-amount"), '') IS NOT NULL) OVER (PARTITION BY r.report_id) AS summary_currency
    FROM picked r
    JOIN raw.settlement_reports s USING (report_id)
    LEFT JOIN core.marketplaces m USING (marketplace_id)
),
typed AS (
    SELECT
        *,
        local_decimal(amount, decimal_comma) AS amount_value,
        local_decimal("total-amount", decimal_comma) AS total_value,
        coalesce(nullif(trim(currency), ''), summary_currency) AS line_currency,
        settlement_ts("settlement-start-date", date_order) AS period_start,
        settlement_ts("settlement-end-date", date_order) AS period_end,
        settlement_ts("deposit-date", date_order) AS deposit_ts,
        -- posted-date-time is UTC; files without it (older layouts) carry the instant in posted-date.
        coalesce(nullif(trim("posted-date-time"), ''), nullif(trim("posted-date"), '')) AS posted_text,
        settlement_ts(coalesce(nullif(trim("posted-date-time"), ''), nullif(trim("posted-date"), '')), date_order) AS posted_ts
    FROM rows
),
rejects AS (
    SELECT
        *,
        CASE
            WHEN nullif(trim("settlement-id"), '') IS NULL THEN 'row without settlement-id'
            WHEN is_summary AND total_value IS NULL THEN 'summary total-amount is not a number: ' || "total-amount"
            WHEN is_summary AND (period_start IS NULL OR period_end IS NULL OR deposit_ts IS NULL)
                THEN 'settlement dates do not read as ' || coalesce(marketplace_id, 'an unknown marketplace') || ' writes dates ('
                     || coalesce(date_order, 'no known day order') || '): start ' || coalesce("settlement-start-date", 'empty')
                     || ', end ' || coalesce("settlement-end-date", 'empty') || ', deposit ' || coalesce("deposit-date", 'empty')
            WHEN NOT is_summary AND amount_value IS NULL
                THEN 'amount is not a number in this marketplace''s format: ' || coalesce(amount, 'empty')
            WHEN NOT is_summary AND posted_ts IS NULL
                THEN 'posted date does not read as ' || coalesce(marketplace_id, 'an unknown marketplace') || ' writes dates ('
                     || coalesce(date_order, 'no known day order') || '): ' || coalesce(posted_text, 'empty')
            -- Known: the marketplace's own currency, or (report without a known marketplace) any marketplace's.
            WHEN line_currency IS NULL OR line_currency <> coalesce(marketplace_currency, line_currency)
                 OR line_currency NOT IN (SELECT currency FROM core.marketplaces)
                THEN 'unknown currency ' || coalesce(line_currency, 'null') || ' (marketplace ' || coalesce(marketplace_id, 'null')
                     || ' settles in ' || coalesce(marketplace_currency, 'no known currency') || ')'
            WHEN NOT is_summary AND "transaction-type" IN ('Order', 'Refund') AND nullif(trim("order-id"), '') IS NULL
                THEN 'line without order: ' || "transaction-type" || ' row has no order-id'
        END AS reason
    FROM typed
)
SELECT
    * EXCLUDE (reason),
    -- A settlement whose summary row cannot be read is kept out whole: its lines without their deposit and dates
    -- would add up to nothing anyone can check.
    coalesce(reason, 'the settlement''s summary row is quarantined: ' || max(reason) FILTER (WHERE is_summary)
        OVER (PARTITION BY report_id, "settlement-id")) AS reject_reason
FROM rejects;
