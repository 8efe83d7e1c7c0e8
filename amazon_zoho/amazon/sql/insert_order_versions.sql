-- New versions only: a re-run that receives the same order adds nothing, a changed order adds a row (the
-- history of its status changes). `incoming(order_id, marketplace_id, payload, request_id, source, fetched_at)`
-- is registered by the caller; `new_versions` tells it which rows were new (and so which days changed).
--
-- A version that repeats a state we already hold (same lastUpdatedTime) with less detail is not stored, so
-- it cannot win downstream: a flat-file report row (no buyer, fewer fields) or an order fetched without
-- BUYER never displaces the API version of that same state. Equal detail does replace (a corrected resend).
CREATE OR REPLACE TEMP MACRO order_detail(src, p) AS
    (CASE WHEN src = 'report' THEN 0 ELSE 1 END) + (CASE WHEN p ->> '$.buyerKey' IS NOT NULL THEN 2 ELSE 0 END);

CREATE OR REPLACE TEMP TABLE new_versions AS
WITH typed AS (
    SELECT
        i.order_id,
        md5(i.payload) AS payload_hash,
        coalesce(i.payload::JSON ->> '$.salesChannel.marketplaceId', i.marketplace_id) AS marketplace_id,
        CAST(TRY_CAST(i.payload::JSON ->> '$.createdTime' AS TIMESTAMPTZ) AS DATE) AS purchase_date,
        TRY_CAST(i.payload::JSON ->> '$.lastUpdatedTime' AS TIMESTAMPTZ) AS last_updated_time,
        i.payload::JSON AS payload,
        i.source,
        i.request_id,
        i.fetched_at
    FROM incoming i
    WHERE TRY_CAST(i.payload::JSON ->> '$.createdTime' AS TIMESTAMPTZ) IS NOT NULL
      AND i.order_id IS NOT NULL AND i.order_id <> 'None'
    QUALIFY row_number() OVER (PARTITION BY i.order_id, md5(i.payload) ORDER BY i.fetched_at) = 1
),

-- The versions already held of this batch's orders only: the checks below then cost what the batch costs, not what
-- the table holds (issue #17: they anti-joined every batch against all of it). A semi-join on the batch's ids still
-- reads every payload of the table, to drop most of them after the join: a batch of 350 getOrder answers against a
-- year (378,916 versions) took the process from 170 to 450 MB. Given `$order_ids` (a small API batch,
-- order_store.store_orders), the scan filters on the id before it reads a payload (DuckDB pushes the constant
-- list_contains into the scan): 146 MB. A report's part of 20,000 orders passes NULL: its semi-join is 0.7 s where the
-- list of 20,000 would take 20 s.
held AS (
    SELECT v.order_id, v.payload_hash, v.last_updated_time, order_detail(v.source, v.payload) AS detail
    FROM raw.order_versions v
    WHERE CASE
        WHEN $order_ids IS NULL THEN v.order_id IN (SELECT b.order_id FROM typed b)
        ELSE list_contains($order_ids, v.order_id)
    END
)

SELECT t.*
FROM typed t
WHERE NOT EXISTS (
        SELECT 1 FROM held v WHERE v.order_id = t.order_id AND v.payload_hash = t.payload_hash)
  AND NOT EXISTS (
        SELECT 1 FROM held v
        WHERE v.order_id = t.order_id AND v.last_updated_time = t.last_updated_time
          AND v.detail > order_detail(t.source, t.payload));

INSERT INTO raw.order_versions BY NAME SELECT * FROM new_versions;

-- An order that loads whole now (an id and a createdTime, every line readable) is no longer held back: the rows an
-- earlier report or fetch quarantined for it go, whichever window or report they were filed under. Rows of this
-- load's own rejects are not in `incoming` (a report's held orders stay out of it), so they stay.
DELETE FROM ops.quarantine
WHERE source IN ('order_report', 'raw_orders')
  AND record_key IN (
      SELECT order_id FROM incoming
      WHERE order_id IS NOT NULL AND order_id <> 'None' AND TRY_CAST(payload::JSON ->> '$.createdTime' AS TIMESTAMPTZ) IS NOT NULL);

-- An order whose buyer lookup getOrder refused is no longer held back once a version with its buyer arrives (a later
-- getOrder, or searchOrders, which carries the buyer inline).
DELETE FROM ops.quarantine
WHERE source = 'order_buyer_lookup'
  AND record_key IN (SELECT order_id FROM incoming WHERE payload::JSON ->> '$.buyerKey' IS NOT NULL);
