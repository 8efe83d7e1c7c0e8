-- How each marketplace's settlement flat file writes amounts and dates, as macros: core's settlement window
-- (settlement_window.sql) types rows with them, and amazon/imports.py reads a downloaded file's settlement-end-date
-- with the very same ones, so a file files under the day core will give it. Formats, with their sources:
-- amazon/marketplaces.csv (decimal_comma, posted_date_format) and amazon_zoho_tests/core/fixtures/settlements/README.md.
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

-- The day order of a marketplace's posted_date_format (core.marketplaces): the year first is YMD, %d before %m
-- DMY, %m before %d MDY; NULL for a format that names neither (then no slashed or dotted date reads).
CREATE OR REPLACE TEMP MACRO settlement_date_order(posted_date_format) AS CASE
    WHEN coalesce(nullif(strpos(posted_date_format, '%Y'), 0), nullif(strpos(posted_date_format, '%y'), 0), 99)
         < strpos(posted_date_format, '%m') THEN 'YMD'
    WHEN strpos(posted_date_format, '%d') < strpos(posted_date_format, '%m') THEN 'DMY'
    WHEN strpos(posted_date_format, '%m') < strpos(posted_date_format, '%d') THEN 'MDY'
END;
