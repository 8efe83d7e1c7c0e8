-- The module's latest runs, newest first, for the asset's metadata.
SELECT strftime(finished_at, '%Y-%m-%d %H:%M') AS finished, partition_range, path, inserted, updated, unchanged, failed,
       coalesce(deferred, 0) AS deferred, credits_used
FROM ops.sync_runs
WHERE module = $module
ORDER BY finished_at DESC
LIMIT 10;
