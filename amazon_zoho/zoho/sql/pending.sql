-- The JSON each record sends, built from the `source` rows of <module>_payload.sql as mapping.yaml says (no SQL
-- is generated from it): one key per row of `payload_fields` (Zoho field <- source column; a lookup is sent as
-- {"id": ...}), and for sales orders the line-item subform $lines_field, one object per line item from
-- `line_item_fields`. Keys are sorted by name, the subform last, so reordering mapping.yaml changes no payload hash.
-- The id map keeps payload hashes, so the bytes matter: a value is written as json_object() writes its column
-- (to_json: a DECIMAL 9.90 stays 9.90), and line items as DuckDB writes JSON it has read back (1.50 becomes 1.5).
CREATE OR REPLACE TEMP TABLE pending AS
WITH value_columns AS (
    -- the columns of `source` a payload takes values from, in their order
    SELECT list(column_name ORDER BY column_index) AS names
    FROM duckdb_columns()
    WHERE database_name = 'temp' AND table_name = 'source' AND column_name NOT IN ('record_key', 'mapping_error')
),
records AS (
    -- each record's values as JSON, in the order of value_columns
    SELECT record_key, mapping_error, list_value(*COLUMNS(* EXCLUDE (record_key, mapping_error))) AS cells
    FROM (SELECT record_key, mapping_error, to_json(COLUMNS(lambda c: c NOT IN ('record_key', 'mapping_error'))) FROM source)
),
placed_fields AS (
    -- each payload field with the place of its value in `cells`
    SELECT f.zoho_field, f.lookup, coalesce(list_position(c.names, f.source), error('source has no column ' || f.source)) AS place
    FROM payload_fields f, value_columns c
),
plan AS (
    SELECT
        (SELECT list({'key': to_json(zoho_field)::VARCHAR, 'place': place, 'lookup': lookup} ORDER BY zoho_field) FROM placed_fields) AS fields,
        (SELECT list({'key': zoho_field, 'path': '$.' || source, 'lookup': lookup} ORDER BY zoho_field) FROM line_item_fields) AS item_fields,
        list_position(c.names, 'line_items') AS line_items_at
    FROM value_columns c
)
SELECT
    r.record_key,
    (
        '{'
        || array_to_string(list_transform(p.fields, lambda f: f.key || ':' || coalesce(
               CASE WHEN f.lookup AND r.cells[f.place] IS NOT NULL THEN json_object('id', r.cells[f.place]) ELSE r.cells[f.place] END, 'null')), ',')
        || CASE WHEN $lines_field <> '' THEN ',' || to_json($lines_field) || ':' || coalesce(to_json(list_transform(
               json_extract(r.cells[p.line_items_at], '$[*]'),
               lambda item: to_json(map_from_entries(list_transform(p.item_fields, lambda f: {
                   'key': f.key,
                   'value': CASE WHEN NOT f.lookup THEN json_extract(item, f.path)
                                 WHEN json_extract(item, f.path) <> 'null' THEN json_object('id', json_extract(item, f.path)) END
               }))))), 'null') ELSE '' END
        || '}'
    )::JSON AS payload,
    r.mapping_error
FROM records r, plan p;
