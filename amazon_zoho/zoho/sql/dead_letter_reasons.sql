-- What Zoho said about the records it refused, most frequent first (for the run's notification): one example
-- message per module, code and field.
SELECT
    module,
    error_code,
    error_field,
    left(any_value(error_message), 300) AS message,
    count(*) AS n
FROM ops.zoho_dead_letters
GROUP BY module, error_code, error_field
ORDER BY n DESC, module ASC, error_code ASC
LIMIT 10;
