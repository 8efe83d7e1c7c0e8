-- Lines DuckDB's reader rejected (wrong number of cells), once per line, with the line number in the
-- original file. DuckDB reports one error per missing or extra cell, and counts our line-number column.
INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)
SELECT
    'settlement_file',
    CAST($partition_date AS DATE),
    $report_id,
    $file_name,
    TRY_CAST(split_part(csv_line, chr(9), 1) AS INTEGER),
    'expected ' || $columns || ' tab-separated columns as in the header, found '
        || (length(raw) - length(replace(raw, chr(9), '')) + 1),
    raw,
    $run_id
FROM (
    SELECT DISTINCT csv_line, substr(csv_line, strpos(csv_line, chr(9)) + 1) AS raw
    FROM settlement_rejects
);
