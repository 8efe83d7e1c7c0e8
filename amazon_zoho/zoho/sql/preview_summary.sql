-- A dry run's counts per module and decision, and its first records of each kind, for the UI.
SELECT module, decision, count(*) AS records,
       string_agg(record_key || CASE WHEN changed_fields IS NOT NULL THEN ' (' || array_to_string(changed_fields, ', ') || ')'
                                     WHEN reason IS NOT NULL THEN ' (' || reason || ')' ELSE '' END, '; ' ORDER BY record_key)
           FILTER (WHERE decision <> 'unchanged') AS examples
FROM ops.zoho_sync_preview
WHERE run_id = $run_id
GROUP BY module, decision
ORDER BY list_position(['Products', 'Contacts', 'Sales_Orders'], module), decision;
