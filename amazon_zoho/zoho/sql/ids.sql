-- The Zoho id of every record we know Zoho holds, for lookups (line items -> products, orders -> contacts).
-- A dry run adds placeholders for products and contacts it would insert (`dry_run_ids`), so the orders
-- that need them show as pushed rather than as waiting.
CREATE TEMP TABLE IF NOT EXISTS dry_run_ids (module VARCHAR, record_key VARCHAR, zoho_id VARCHAR);
CREATE OR REPLACE TEMP VIEW zoho_ids AS
SELECT module, record_key, zoho_id FROM ops.zoho_sync_state WHERE zoho_id IS NOT NULL
UNION ALL
SELECT module, record_key, zoho_id FROM dry_run_ids;
