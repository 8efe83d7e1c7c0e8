-- What this run left undone, per module (for the notification).
SELECT module, sum(failed) AS failed, sum(coalesce(deferred, 0)) AS deferred
FROM ops.sync_runs
WHERE run_id = $run_id
GROUP BY module
HAVING sum(failed) > 0 OR sum(coalesce(deferred, 0)) > 0
ORDER BY module;
