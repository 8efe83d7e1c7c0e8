-- A Bulk Write job Zoho accepted; until its answers are applied, a crash leaves it RUNNING here.
INSERT OR REPLACE INTO ops.zoho_bulk_jobs (job_id, module, run_id, records, status, created_at)
VALUES ($job_id, $module, $run_id, $records, 'RUNNING', clock_now());
