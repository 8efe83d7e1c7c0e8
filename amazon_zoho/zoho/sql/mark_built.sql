-- After a push: the records Zoho now holds as this build makes them (the payload it accepted is the one this
-- build produced, or this build produces nothing for them) carry this build's hash, so later runs leave them to
-- their own days. The others keep an older hash and stay in the backlog until Zoho accepts their new payload.
UPDATE ops.zoho_sync_state s SET built_with = $built_with
WHERE s.module = $module
  AND s.built_with IS DISTINCT FROM $built_with
  AND (
      s.record_key NOT IN (SELECT record_key FROM classified)
      OR (s.status = 'synced' AND s.payload_hash = (SELECT c.payload_hash FROM classified c WHERE c.record_key = s.record_key))
  );
