-- ops (issue #15): the org's field metadata as the push's preflight last read and accepted it, per module, so a run
-- minutes after the last one (the intraday sensor's, one every few minutes) does not pay 1 credit per module to read it
-- again. Zoho's own SDK keeps it the same way and reads it again after an hour (zoho/field_cache.py).
CREATE TABLE IF NOT EXISTS ops.zoho_field_meta (
    module      VARCHAR PRIMARY KEY,
    built_with  VARCHAR NOT NULL,
    fields      JSON NOT NULL,
    read_at     TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE ops.zoho_field_meta IS 'Zoho field metadata (GET /crm/v8/settings/fields) per module, as the last preflight read it and found it holds every field the mapping writes. Reused for ZOHO_FIELDS_MAX_AGE_MINUTES; dropped when Zoho refuses a record of the module, so the next run reads it again.';
COMMENT ON COLUMN ops.zoho_field_meta.built_with IS 'The mapping and payload digest (zoho/sync.py built_with) the fields were checked against: another mapping checks them again.';
