-- What `make run` reports: the warehouse's contents for the range and the Zoho outcome of this run.
SELECT
    (SELECT count(*) FROM core.orders WHERE purchase_date BETWEEN $first AND $last) AS orders,
    (SELECT count(*) FROM core.order_lines WHERE purchase_date BETWEEN $first AND $last) AS order_lines,
    (SELECT count(*) FROM core.settlement_lines WHERE end_date BETWEEN $first AND $last) AS settlement_lines,
    (SELECT count(*) FROM ops.quarantine WHERE partition_date BETWEEN $first AND $last) AS quarantined,
    (SELECT coalesce(sum(inserted), 0) FROM ops.sync_runs WHERE run_id = $run_id) AS zoho_inserted,
    (SELECT coalesce(sum(updated), 0) FROM ops.sync_runs WHERE run_id = $run_id) AS zoho_updated,
    (SELECT coalesce(sum(unchanged), 0) FROM ops.sync_runs WHERE run_id = $run_id) AS zoho_unchanged,
    (SELECT coalesce(sum(failed), 0) FROM ops.sync_runs WHERE run_id = $run_id) AS zoho_failed,
    (SELECT coalesce(sum(credits_used), 0) FROM ops.sync_runs WHERE run_id = $run_id) AS zoho_credits;
