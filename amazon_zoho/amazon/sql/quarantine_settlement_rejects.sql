-- Lines DuckDB's reader rejected (wrong number of cells), with the line number in the original file.
INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)
SELECT
    'settlement_file',
    CAST($partition_date AS DATE),
    $report_id,
    $file_name,
    TRY_CAST(split_part(csv_line, chr(9), 1) AS INTEGER),
    error_type || ': ' || error_message,
    substr(csv_line, strpos(csv_line, chr(9)) + 1),
    $run_id
FROM settlement_rejects;
