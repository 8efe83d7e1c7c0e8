UPDATE ops.zoho_bulk_jobs SET status = 'APPLIED', finished_at = clock_now() WHERE job_id = $job_id;
