-- ops (what Zoho keeps): buyer details cleared in Zoho after their retention, and the fields each push has written,
-- so a field taken out of mapping.yaml is cleared in Zoho rather than left holding its last value (ops/zoho_retention.py).
CREATE TABLE IF NOT EXISTS ops.zoho_pii_scrubs (
    module      VARCHAR NOT NULL,
    record_key  VARCHAR NOT NULL,
    zoho_id     VARCHAR NOT NULL,
    fields      VARCHAR[] NOT NULL,
    run_id      VARCHAR,
    scrubbed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (module, record_key)
);
COMMENT ON TABLE ops.zoho_pii_scrubs IS 'Zoho records whose buyer details (contacts: name, email, address; sales orders: the address but its country) were cleared because no pii.order_contacts row of theirs is left (AMAZON_ZOHO_PII_RETENTION_DAYS); their payload hash is voided with it, and a record pushed again since (synced_at later) is judged again.';
COMMENT ON COLUMN ops.zoho_pii_scrubs.module IS 'The Zoho module (Contacts, Sales_Orders).';
COMMENT ON COLUMN ops.zoho_pii_scrubs.record_key IS 'Our key of the record (Amazon_Buyer_Key, Amazon_Order_ID).';
COMMENT ON COLUMN ops.zoho_pii_scrubs.zoho_id IS 'The Zoho record id updated.';
COMMENT ON COLUMN ops.zoho_pii_scrubs.fields IS 'The Zoho fields cleared.';
COMMENT ON COLUMN ops.zoho_pii_scrubs.run_id IS 'The Dagster run that cleared them.';
COMMENT ON COLUMN ops.zoho_pii_scrubs.scrubbed_at IS 'When Zoho accepted the update.';

CREATE TABLE IF NOT EXISTS ops.zoho_mapped_fields (
    module      VARCHAR NOT NULL,
    zoho_field  VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (module, zoho_field)
);
COMMENT ON TABLE ops.zoho_mapped_fields IS 'The Zoho fields mapping.yaml had each module write, as of the last push: a field listed here and mapped no more is cleared in every record we pushed, then dropped from the list.';
COMMENT ON COLUMN ops.zoho_mapped_fields.module IS 'The Zoho module.';
COMMENT ON COLUMN ops.zoho_mapped_fields.zoho_field IS 'A Zoho field API name a push has written.';
COMMENT ON COLUMN ops.zoho_mapped_fields.recorded_at IS 'When a push last wrote it.';

CREATE TABLE IF NOT EXISTS ops.zoho_field_clears (
    module      VARCHAR NOT NULL,
    zoho_field  VARCHAR NOT NULL,
    zoho_id     VARCHAR NOT NULL,
    run_id      VARCHAR,
    cleared_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (module, zoho_field, zoho_id)
);
COMMENT ON TABLE ops.zoho_field_clears IS 'Records Zoho accepted clearing an unmapped field in: only the others are sent again (a refused record, one the credit budget left); the rows go once the field leaves ops.zoho_mapped_fields or is mapped again.';
COMMENT ON COLUMN ops.zoho_field_clears.module IS 'The Zoho module.';
COMMENT ON COLUMN ops.zoho_field_clears.zoho_field IS 'The Zoho field cleared.';
COMMENT ON COLUMN ops.zoho_field_clears.zoho_id IS 'The Zoho record id cleared.';
COMMENT ON COLUMN ops.zoho_field_clears.run_id IS 'The Dagster run that cleared it.';
COMMENT ON COLUMN ops.zoho_field_clears.cleared_at IS 'When Zoho accepted the update.';
