-- The JSON each record sends. The payload expression is generated from mapping.yaml
-- (mapping.ModuleMapping.payload_sql), e.g. json_object('Product_Name', title, 'Amazon_SKU', sku, ...),
-- over the sources that <module>_payload.sql built into `source`.
CREATE OR REPLACE TEMP TABLE pending AS
SELECT record_key, {payload} AS payload, mapping_error
FROM source;
