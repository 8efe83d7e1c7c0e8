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

CREATE OR REPLACE TEMP TABLE job_columns AS
WITH placed AS (
    SELECT
        seq,
        unnest(json_keys(send_payload)) AS name,
        generate_subscripts(json_keys(send_payload), 1) AS place
    FROM to_send
    WHERE seq > $first AND seq <= $last
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
    0 AS i
UNION ALL
SELECT
    name,
    row_number() OVER (ORDER BY seen) AS i
FROM first_seen;

-- One row per record and column: the cell, and whether fitting cut it (counted per field by bulk_files.py).
CREATE OR REPLACE TEMP TABLE job_cells AS
WITH extracted AS (
    -- each payload read once: its fields as (key, value) rows
    SELECT
        t.seq,
        j.key AS name,
        j.value AS v
    FROM to_send t, json_each(t.send_payload) j
    WHERE t.seq > $first AND t.seq <= $last
),

grid AS (
    -- every record by every column, a field the record lacks as null
    SELECT
        t.seq,
        c.i,
        c.name,
        e.v
    FROM to_send t
    CROSS JOIN job_columns c
    LEFT JOIN extracted e ON t.seq = e.seq AND c.name = e.name
    WHERE t.seq > $first AND t.seq <= $last
),

valued AS (
    SELECT
        g.seq,
        g.i,
        g.name,
        json_cell(g.v) AS full_text,
        CASE
            WHEN json_type(g.v) = 'VARCHAR' AND g.name <> $key AND strlen(json_cell(g.v)) > f.length
                THEN zoho_fit(json_cell(g.v), f.length)
            ELSE json_cell(g.v)
        END AS cell
    FROM grid g
    LEFT JOIN fitted_fields f ON g.name = f.name
)

SELECT
    seq,
    i,
    name,
    cell,
    coalesce(cell <> full_text, false) AS cut  -- both are null, or both not
FROM valued;

CREATE OR REPLACE TEMP TABLE job_record_lines AS
SELECT
    0 AS seq,
    string_agg(csv_cell(name), ',' ORDER BY i) AS line
FROM job_columns
UNION ALL
SELECT
    seq,
    string_agg(coalesce(csv_cell(cell), ''), ',' ORDER BY i) AS line
FROM job_cells
GROUP BY seq;

CREATE OR REPLACE TEMP TABLE job_item_lines AS
WITH items AS (
    SELECT
        seq,
        send_payload ->> ('$."' || $key || '"') AS parent,
        unnest(json_extract(send_payload, $lines_path || '[*]')) AS item,
        generate_subscripts(json_extract(send_payload, $lines_path || '[*]'), 1) AS place
    FROM to_send
    WHERE seq > $first AND seq <= $last AND $lines_field <> ''
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
    coalesce(csv_cell(it.parent), '') || ','
    || string_agg(coalesce(csv_cell(json_cell(json_extract(it.item, '$."' || c.name || '"'))), ''), ',' ORDER BY c.i) AS line
FROM items it, line_columns c
GROUP BY it.seq, it.place, it.parent;
