-- Typed settlement rows of the reports whose period ended in [$start, $end), in each marketplace's
-- local formats ("95,00" in DE/FR, "95.00" elsewhere; dates "YYYY-MM-DD HH:MM:SS UTC" or local).
CREATE OR REPLACE TEMP TABLE settlement_window AS
WITH rows AS (
    SELECT r.*, s.end_date, s.marketplace_id, coalesce(m.decimal_comma, false) AS decimal_comma
    FROM raw.settlement_rows r
    JOIN raw.settlement_reports s USING (report_id)
    LEFT JOIN core.marketplaces m USING (marketplace_id)
    WHERE s.end_date >= $start AND s.end_date < $end
)
SELECT
    *,
    TRY_CAST(
        CASE WHEN decimal_comma THEN replace(regexp_replace(amount, '[.\s' || chr(160) || ']', '', 'g'), ',', '.')
             ELSE regexp_replace(amount, '[,\s' || chr(160) || ']', '', 'g') END AS DECIMAL(18, 2)) AS amount_value,
    TRY_CAST(
        CASE WHEN decimal_comma THEN replace(regexp_replace("total-amount", '[.\s' || chr(160) || ']', '', 'g'), ',', '.')
             ELSE regexp_replace("total-amount", '[,\s' || chr(160) || ']', '', 'g') END AS DECIMAL(18, 2)) AS total_value,
    coalesce(nullif("total-amount", ''), NULL) IS NOT NULL AS is_summary
FROM rows;
