-- Typed settlement rows of the window, in the formats of the file's marketplace (core.marketplaces), each with
-- the reason it cannot enter core (reject_reason), if any. Formats, with their sources: amazon/marketplaces.csv
-- (decimal_comma, posted_date_format) and amazon_zoho_tests/core/fixtures/settlements/README.md.
--
-- An amount in the marketplace's own format, or NULL (then quarantined with the reason): "95,00" or
-- "1.234,56" where the decimal mark is a comma, "95.00" or "1,234.56" elsewhere; at most two decimals.
-- Anything else ("12.34" in a decimal-comma file, "1.005") is a format we did not expect, and guessing
-- would move money by a factor of 100 or a fraction of a cent without anyone noticing.
CREATE OR REPLACE TEMP MACRO local_decimal(text, decimal_comma) AS CASE
    WHEN decimal_comma AND regexp_full_match(regexp_replace(trim(text), '[\s' || chr(160) || ']', '', 'g'), '-?(\d{1,3}(\.\d{3})+|\d+)(,\d{1,2})?')
        THEN TRY_CAST(replace(regexp_replace(text, '[.\s' || chr(160) || ']', '', 'g'), ',', '.') AS DECIMAL(18, 2))
    WHEN NOT decimal_comma AND regexp_full_match(regexp_replace(trim(text), '[\s' || chr(160) || ']', '', 'g'), '-?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?')
        THEN TRY_CAST(regexp_replace(text, '[,\s' || chr(160) || ']', '', 'g') AS DECIMAL(18, 2))
END;

-- A settlement date as its parts: three numbers split by . / or -, a time, then the zone Amazon writes after it.
-- Seen (sources in amazon/marketplaces.csv): "2023-01-15 07:01:53 UTC" (Amazon's V2 change note; US files),
-- "15.01.2023 07:01:53 UTC" (DE), "15/01/2023 07:01:53 UTC" and "15/01/23" (UK, FR, IT, ES), "2023/01/15 07:01:53 UTC"
-- (JP) and Pacific local times ending in PST or PDT (US), all from sellers' files in issue #13;
-- "2025-06-05T22:07:18+00:00" (a real CA file) and Seller Central's column help ("2003-10-03T16:00:00-07:00").
-- Every part is '' when the text has another shape (then the date is NULL and its row quarantined).
CREATE OR REPLACE TEMP MACRO settlement_date_parts(t) AS regexp_extract(
    upper(trim(t)),
    '^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(UTC|GMT|Z|PST|PDT|[+-]\d{2}:?\d{2})?$',
    ['a', 'b', 'c', 'hh', 'mi', 'ss', 'zone']
);

-- Which of the three numbers is the day and which the month is the marketplace's order (its posted_date_format:
-- %d before %m is DMY, %m before %d is MDY, the year first is YMD), never a guess from the digits: 03/04/2023 is
-- 3 April in the UK and 4 March in the US. A four-digit first number is a year in every marketplace (no
-- marketplace writes year-day-month), so ISO dates read everywhere. [year, month, day] as text, or NULL.
CREATE OR REPLACE TEMP MACRO settlement_ymd(p, date_order) AS CASE
    WHEN p.a = '' THEN NULL
    WHEN length(p.a) = 4 THEN [p.a, p.b, p.c]
    WHEN date_order = 'DMY' THEN [p.c, p.b, p.a]
    WHEN date_order = 'MDY' THEN [p.c, p.a, p.b]
    WHEN date_order = 'YMD' THEN [p.a, p.b, p.c]
END;

-- Minutes east of UTC: UTC/GMT/Z, an explicit offset, or US Pacific time (PST = UTC-08:00, PDT = UTC-07:00, as US
-- sellers' files in issue #13 write local times). No zone (or another abbreviation) is no instant: NULL, never a guess.
CREATE OR REPLACE TEMP MACRO settlement_offset_minutes(zone) AS CASE
    WHEN zone IN ('UTC', 'GMT', 'Z') THEN 0
    WHEN zone = 'PST' THEN -480
    WHEN zone = 'PDT' THEN -420
    WHEN regexp_full_match(zone, '[+-]\d{2}:?\d{2}')
        THEN (CASE WHEN zone[1] = '-' THEN -1 ELSE 1 END) * (CAST(zone[2:3] AS INTEGER) * 60 + CAST(right(zone, 2) AS INTEGER))
END;

-- The instant a settlement date names, as TIMESTAMPTZ, or NULL when it does not parse as the marketplace writes
-- dates (then the row is quarantined with the text). A two-digit year is 20yy.
CREATE OR REPLACE TEMP MACRO settlement_instant(p, ymd) AS CASE
    WHEN ymd IS NULL OR length(ymd[1]) NOT IN (2, 4) OR settlement_offset_minutes(p.zone) IS NULL THEN NULL
    ELSE timezone('UTC', try_strptime(
        printf('%04d-%02d-%02d %02d:%02d:%02d',
               CAST(ymd[1] AS INTEGER) + CASE WHEN length(ymd[1]) = 2 THEN 2000 ELSE 0 END, CAST(ymd[2] AS INTEGER), CAST(ymd[3] AS INTEGER),
               CAST(coalesce(nullif(p.hh, ''), '0') AS INTEGER), CAST(coalesce(nullif(p.mi, ''), '0') AS INTEGER),
               CAST(coalesce(nullif(p.ss, ''), '0') AS INTEGER)),
        '%Y-%m-%d %H:%M:%S')) - to_minutes(settlement_offset_minutes(p.zone))
END;

CREATE OR REPLACE TEMP MACRO settlement_ts(t, date_order) AS settlement_instant(settlement_date_parts(t), settlement_ymd(settlement_date_parts(t), date_order));

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
        CASE
            WHEN coalesce(nullif(strpos(m.posted_date_format, '%Y'), 0), nullif(strpos(m.posted_date_format, '%y'), 0), 99)
                 < strpos(m.posted_date_format, '%m') THEN 'YMD'
            WHEN strpos(m.posted_date_format, '%d') < strpos(m.posted_date_format, '%m') THEN 'DMY'
            WHEN strpos(m.posted_date_format, '%m') < strpos(m.posted_date_format, '%d') THEN 'MDY'
        END AS date_order,
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
