-- One row per run, partition range and module (re-running the same step replaces its row).
INSERT OR REPLACE INTO ops.sync_runs (run_id, partition_range, module, inserted, updated, unchanged, failed, credits_used, finished_at, deferred, calls, path)
VALUES ($run_id, $partition_range, $module, $inserted, $updated, $unchanged, $failed, $credits, clock_now(), $deferred, $calls, $path);
