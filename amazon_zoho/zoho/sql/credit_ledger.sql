-- Books the credits of the calls just made (`ledger_entries`) and answers what the rolling 24 hours used.
INSERT INTO ops.zoho_credit_ledger
SELECT to_timestamp(ts), $run_id, operation, credits FROM ledger_entries;

SELECT coalesce(sum(credits), 0) AS used FROM ops.zoho_credit_ledger WHERE ts > clock_now() - INTERVAL 24 HOUR;
