-- Typed settlement rows of the reports whose period ended in [$start, $end), in each marketplace's
-- local formats ("95,00" in DE/FR, "95.00" elsewhere; dates "YYYY-MM-DD HH:MM:SS UTC" or local), each
-- with the reason it cannot enter core (reject_reason), if any.
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

CREATE OR REPLACE TEMP TABLE settlement_window AS
WITH rows AS (
    SELECT
        r.*, s.end_date, s.marketplace_id, coalesce(m.decimal_comma, false) AS decimal_comma, m.currency AS marketplace_currency,
        coalesce(nullif(r."total-amount", ''), NULL) IS NOT NULL AS is_summary,
        -- Detail rows leave currency empty: they are in the currency of their file's summary row.
        max(nullif(r.currency, '')) FILTER (WHERE nullif(r."total-amount", '') IS NOT NULL) OVER (PARTITION BY r.report_id) AS summary_currency
    FROM raw.settlement_rows r
    JOIN raw.settlement_reports s USING (report_id)
    LEFT JOIN core.marketplaces m USING (marketplace_id)
    WHERE s.end_date >= $start AND s.end_date < $end
),
typed AS (
    SELECT
        *,
        local_decimal(amount, decimal_comma) AS amount_value,
        local_decimal("total-amount", decimal_comma) AS total_value,
        coalesce(nullif(currency, ''), summary_currency) AS line_currency
    FROM rows
)
SELECT
    *,
    CASE
        WHEN is_summary AND total_value IS NULL THEN 'summary total-amount is not a number: ' || "total-amount"
        WHEN NOT is_summary AND amount_value IS NULL
            THEN 'amount is not a number in this marketplace''s format: ' || coalesce(amount, 'empty')
        -- Known: the marketplace's own currency, or (report without a known marketplace) any marketplace's.
        WHEN line_currency IS NULL OR line_currency <> coalesce(marketplace_currency, line_currency)
             OR line_currency NOT IN (SELECT currency FROM core.marketplaces)
            THEN 'unknown currency ' || coalesce(line_currency, 'null') || ' (marketplace ' || coalesce(marketplace_id, 'null')
                 || ' settles in ' || coalesce(marketplace_currency, 'no known currency') || ')'
        WHEN NOT is_summary AND "transaction-type" IN ('Order', 'Refund') AND nullif("order-id", '') IS NULL
            THEN 'line without order: ' || "transaction-type" || ' row has no order-id'
    END AS reject_reason
FROM typed;
