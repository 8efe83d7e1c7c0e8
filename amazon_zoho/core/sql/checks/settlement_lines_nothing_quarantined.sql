-- Settlement rows of the window kept out of core (ops.quarantine), with file and line to look them up.
SELECT source, file_name, line_number, reason, raw_text
FROM ops.quarantine
WHERE source IN ('settlement_file', 'core_settlement_lines') AND partition_date >= $start AND partition_date < $end
ORDER BY file_name, line_number
