-- The rows of one Bulk Write job's CSVs (bulk_files.py): the records of `to_send` with $first < seq <= $last, each
-- payload's values as the cells Zoho reads back to the same values, text cut to the org's field lengths
-- (`field_lengths`, fit.py), and their line items. bulk_files.py COPYs these tables to the CSVs, so no payload is
-- parsed in Python (issue #17).

-- A JSON value as a CSV cell: NULL (written empty) for null or a missing key, a number as Python's json.dumps
-- writes the float it reads (DuckDB's DOUBLE to VARCHAR is the same shortest round trip: 10.10 -> 10.1,
-- 0.00001 -> 1e-05), integers as written, true/false, text unquoted. NULL rather than '' for empty text too:
-- DuckDB writes '' as "" to tell it from NULL, and Zoho reads an empty cell as an empty value either way.
CREATE OR REPLACE TEMP MACRO bulk_scalar(value) AS nullif(CASE json_type(value)
    WHEN 'DOUBLE' THEN value::DOUBLE::VARCHAR
    WHEN 'NULL' THEN NULL
    ELSE json_extract_string(value, '$')
END, '');

-- A lookup ({"id": ...}, pending.sql) is sent as its record id: the job's field_mappings say `find_by: id`.
-- (json_extract, not ->: these macros are called inside lambdas, where -> would read as one.)
CREATE OR REPLACE TEMP MACRO bulk_cell(value) AS
CASE WHEN json_type(value) = 'OBJECT' THEN bulk_scalar(json_extract(value, '$.id')) ELSE bulk_scalar(value) END;

-- The module CSV's columns: the match key first (Zoho finds each record by it), then every field any payload of the
-- job holds, in the order they first appear; the line items go in their own CSV. fit_to: the characters the
-- field holds, for the free-text fields the org names (never the key: a key cut short would match another record).
CREATE OR REPLACE TEMP TABLE bulk_columns AS
WITH fields AS (
    -- the two unnests run side by side: each key with its place in its payload
    SELECT seq, unnest(json_keys(send_payload)) AS name, generate_subscripts(json_keys(send_payload), 1) AS place
    FROM to_send
    WHERE seq > $first AND seq <= $last
),

seen AS (
    SELECT name, [seq, place] AS first_seen FROM fields
    UNION ALL
    SELECT $key AS name, [0, 0] AS first_seen
)

SELECT
    s.name,
    l.length AS fit_to,
    row_number() OVER (ORDER BY min(s.first_seen)) AS place
FROM seen s
LEFT JOIN field_lengths l ON s.name = l.api_name AND s.name <> $key
WHERE s.name <> $lines_field
GROUP BY s.name, l.length;

-- One row per record, its cells in the order of bulk_columns, and the fields whose text was cut (counted per field
-- in the push's outcome). zoho_fit is fit.fit (registered by bulk_files.py), called only for text longer in
-- UTF-8 bytes than the field: a text's bytes are never fewer than the characters fit.py counts.
CREATE OR REPLACE TEMP TABLE bulk_records AS
WITH sent AS (
    SELECT
        seq,
        record_key,
        zoho_id,
        lines_sent,
        send_payload::JSON::MAP(VARCHAR, JSON) AS fields
    FROM to_send
    WHERE seq > $first AND seq <= $last
),

cells AS (
    SELECT
        seq,
        record_key,
        zoho_id,
        lines_sent,
        list_transform(
            (SELECT list(c ORDER BY c.place) FROM bulk_columns c),
            lambda c: {
                'name': c.name,
                'full': bulk_cell(fields[c.name]),
                'fit_to': CASE WHEN json_type(fields[c.name]) = 'VARCHAR' THEN c.fit_to END
            }
        ) AS cells
    FROM sent
),

fitted AS (
    SELECT
        seq,
        record_key,
        zoho_id,
        lines_sent,
        list_transform(cells, lambda c: {
            'name': c.name,
            'full': c.full,
            'sent': CASE WHEN strlen(c.full) > c.fit_to THEN zoho_fit(c.full, c.fit_to) ELSE c.full END
        }) AS cells
    FROM cells
)

SELECT
    seq,
    record_key,
    zoho_id,
    lines_sent,
    list_transform(cells, lambda c: c.sent) AS cells,
    list_transform(list_filter(cells, lambda c: c.sent <> c.full), lambda c: c.name) AS cut
FROM fitted
ORDER BY seq;

-- One row per line item, in order within its record: the order's key (the parent link), then the mapping's line
-- fields ($line_fields) as cells, not fitted (fit.py fits a payload's own fields only).
CREATE OR REPLACE TEMP TABLE bulk_line_items AS
WITH lists AS (
    SELECT
        seq,
        json_extract_string(send_payload, $key_path) AS parent,
        json_extract(send_payload, $lines_path)::JSON[] AS items
    FROM to_send
    WHERE seq > $first AND seq <= $last AND $lines_field <> ''
),

items AS (
    SELECT seq, parent, unnest(items)::MAP(VARCHAR, JSON) AS item, generate_subscripts(items, 1) AS place
    FROM lists
)

SELECT
    seq,
    place,
    parent,
    list_transform($line_fields::VARCHAR[], lambda name: bulk_cell(item[name])) AS cells
FROM items
ORDER BY seq, place;
