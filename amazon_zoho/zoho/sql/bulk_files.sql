-- The CSV lines of one Bulk Write job, built by DuckDB from the records of `to_send` with $first < seq <= $last
-- (issue #17: no payload of a job is parsed in Python; bulk_files.py copies the lines into the zip).
-- The records CSV has the match key $key first, then every other field the payloads carry, in the order they first
-- appear; the line items CSV (sales orders) links each item to its order by the order's key in Parent_Id, and has
-- the columns `line_columns` gives. The shape is Zoho's: comma-separated with the header naming the fields
-- ("The system detects the delimiter automatically based on the header in file", and one CSV per module plus one
-- per subform, https://www.zoho.com/crm/developer/docs/api/bulk-write/limitations.html); cells are quoted as
-- RFC 4180 says, which is what Python's csv module (the sandbox's reader) reads back.
-- Free text longer than its field is cut by zoho_fit (fit.fit, registered by bulk_files.py) to the lengths of
-- `fitted_fields`; strlen (UTF-8 bytes) is never less than the UTF-16 units fit counts, so a value no longer in bytes
-- than its field fits and is not passed to Python at all.

-- A cell as RFC 4180 writes it: quoted when it holds a delimiter, a quote or a line break, quotes doubled.
CREATE OR REPLACE TEMP MACRO csv_cell(v) AS
CASE WHEN regexp_matches(v, '[",\r\n]') THEN '"' || replace(v, '"', '""') || '"' ELSE v END;

-- A payload value as the cell Zoho reads back to the same value: a lookup by its id (lookups are sent as
-- {"id": ...}, pending.sql), null or missing as an empty cell, text as it is, numbers and booleans as JSON writes
-- them. No field of ours sends a list outside the subform; one that did would need its own CSV (a multi-select
-- lookup is a child module in Bulk Write), so it stops the job rather than writing the list's JSON into a cell.
CREATE OR REPLACE TEMP MACRO json_cell(v) AS
CASE json_type(v)
    WHEN 'OBJECT' THEN v ->> '$.id'
    WHEN 'ARRAY' THEN error('a Bulk Write cell cannot hold a list: ' || left(v::VARCHAR, 200))
    ELSE v ->> '$'
END;

-- The records CSV's columns: the key, then each field in the order it first appears, with the length text is fitted to.
CREATE OR REPLACE TEMP TABLE job_columns AS
WITH keyed AS (
    -- each payload's keys, read once
    SELECT
        seq,
        json_keys(send_payload) AS names
    FROM to_send
    WHERE seq > $first AND seq <= $last
),

placed AS (
    SELECT
        seq,
        unnest(names) AS name,
        generate_subscripts(names, 1) AS place
    FROM keyed
),

first_seen AS (
    SELECT
        name,
        min((seq, place)) AS seen
    FROM placed
    WHERE name NOT IN ($key, $lines_field)
    GROUP BY name
)

SELECT
    $key AS name,
    0 AS i,
    NULL::BIGINT AS length  -- the match key is never cut: cut short, it would match another record
UNION ALL
SELECT
    s.name,
    row_number() OVER (ORDER BY s.seen) AS i,
    f.length
FROM first_seen s
LEFT JOIN fitted_fields f ON s.name = f.name;

-- One line per record, built from the record alone (no aggregate over the job, so nothing but the final sort by seq
-- holds the job at once, and that spills), with the fields whose text fitting cut (counted by bulk_files.py).
CREATE OR REPLACE TEMP TABLE job_record_lines AS
WITH plan AS (
    SELECT list({'name': name, 'length': length} ORDER BY i) AS columns
    FROM job_columns
),

parsed AS (
    SELECT
        seq,
        send_payload::JSON::MAP(VARCHAR, JSON) AS fields
    FROM to_send
    WHERE seq > $first AND seq <= $last
),

valued AS (
    SELECT
        r.seq,
        list_transform(p.columns, lambda c: {
            'name': c.name,
            'full_text': json_cell(r.fields[c.name]),
            'text': json_type(r.fields[c.name]) = 'VARCHAR',
            'length': c.length
        }) AS cells
    FROM parsed r, plan p
),

fitted AS (
    SELECT
        seq,
        list_transform(cells, lambda c: {
            'name': c.name,
            'full_text': c.full_text,
            'cell': CASE WHEN c.text AND strlen(c.full_text) > c.length THEN zoho_fit(c.full_text, c.length) ELSE c.full_text END
        }) AS cells
    FROM valued
)

SELECT
    0 AS seq,
    string_agg(csv_cell(name), ',' ORDER BY i) AS line,
    NULL::VARCHAR[] AS cut
FROM job_columns
UNION ALL
SELECT
    seq,
    array_to_string(list_transform(cells, lambda c: coalesce(csv_cell(c.cell), '')), ',') AS line,
    list_transform(list_filter(cells, lambda c: c.cell <> c.full_text), lambda c: c.name) AS cut
FROM fitted;

CREATE OR REPLACE TEMP TABLE job_item_lines AS
WITH plan AS (
    SELECT list(name ORDER BY i) AS columns
    FROM line_columns
),

orders AS (
    -- each order's line items, read once
    SELECT
        seq,
        send_payload ->> ('$."' || $key || '"') AS parent,
        json_extract(send_payload, $lines_path || '[*]') AS lines
    FROM to_send
    WHERE seq > $first AND seq <= $last AND $lines_field <> ''
),

unnested AS (
    SELECT
        seq,
        parent,
        unnest(lines) AS item,
        generate_subscripts(lines, 1) AS place
    FROM orders
),

items AS (
    SELECT
        seq,
        parent,
        place,
        item::MAP(VARCHAR, JSON) AS fields
    FROM unnested
),

header AS (
    SELECT
        'Parent_Id' AS name,
        0 AS i
    UNION ALL
    SELECT
        name,
        i
    FROM line_columns
)

SELECT
    0 AS seq,
    0 AS place,
    string_agg(csv_cell(name), ',' ORDER BY i) AS line
FROM header
UNION ALL
SELECT
    it.seq,
    it.place,
    array_to_string(list_prepend(
        coalesce(csv_cell(it.parent), ''),
        list_transform(p.columns, lambda c: coalesce(csv_cell(json_cell(it.fields[c])), ''))
    ), ',') AS line
FROM items it, plan p;
