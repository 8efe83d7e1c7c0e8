"""raw → core for 1,000,000 order lines: our core SQL against a bare DuckDB query doing the same work.

`python -m amazon_zoho.bench.core_transform [--lines 1000000]` generates orders (Orders API v2026 JSON,
2-3 items each, 30 purchase days, three EU marketplaces) straight into raw.order_versions with DuckDB SQL,
then times, in the same process and on the same file:

    ours   core/steps.py's BUILD_ORDERS (order_window.sql, orders.sql, order_lines.sql, quarantine_orders.sql) over the 30 days,
           in one transaction, exactly as the core_orders asset runs them (typed amounts, reject rules,
           quarantine, ship times, primary keys maintained);
    bare   one CREATE TABLE AS per table: latest version per order, the same JSON fields cast to the same
           types, no validation, no keys;
    checks the core_orders asset checks on the same window (reported apart: they run after the commit).

Figures: order lines per second for each, ours/bare (goal >= 0.5), and the peak RSS of the process that
transforms (generation runs in a child process, so its memory is not counted).
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from ..core import order_assets, steps
from ..warehouse import WarehouseResource, execute_script
from ..warehouse.checks import evaluate

START, DAYS = date(2026, 1, 1), 30

GENERATE = """
CREATE OR REPLACE TEMP TABLE gen_lines AS
WITH lines AS (
    SELECT i, unnest(range(2 + (i % 2)::INTEGER)) AS k
    FROM range($orders) t(i)
)
SELECT
    i, k,
    printf('%03d-%07d-%07d', 302 + i % 3, i // 1000, i % 10000000) AS order_id,
    ['A1PA6795UKMFR9', 'A13V1IB3VIYZZH', 'A1F83G8C2ARO7P'][1 + i % 3] AS marketplace_id,
    ['Amazon.de', 'Amazon.fr', 'Amazon.co.uk'][1 + i % 3] AS marketplace_name,
    ['EUR', 'EUR', 'GBP'][1 + i % 3] AS currency,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_days(CAST(i % 30 AS INTEGER)) + to_seconds(CAST(i % 86400 AS BIGINT)) AS created,
    printf('%014d', i * 10 + k) AS item_id,
    CAST(1 + (i + k) % 3 AS INTEGER) AS quantity,
    printf('SKU-%05d', (i * 7 + k) % 5000) AS sku,
    CAST(5 + ((i * 7 + k) % 5000) / 100 AS DECIMAL(18, 2)) AS unit_price,
    CASE WHEN k = 0 AND i % 4 = 0 THEN CAST(3.99 AS DECIMAL(18, 2)) ELSE CAST(0 AS DECIMAL(18, 2)) END AS shipping
FROM lines;

CREATE OR REPLACE TEMP TABLE gen_orders AS
WITH priced AS (
    -- Orders API v2026 amounts: TAX added to ITEM and SHIPPING (amazon/marketplaces.csv proceeds_include_tax).
    SELECT *, unit_price * quantity AS item_amount, round((unit_price * quantity + shipping) * 0.19, 2) AS tax,
              unit_price * quantity + shipping + round((unit_price * quantity + shipping) * 0.19, 2) AS line_total
    FROM gen_lines
)
SELECT
    order_id, marketplace_id, CAST(created AS DATE) AS purchase_date, created + INTERVAL 2 DAY AS last_updated,
    to_json({
        'orderId': order_id,
        'createdTime': strftime(created, '%Y-%m-%dT%H:%M:%SZ'),
        'lastUpdatedTime': strftime(created + INTERVAL 2 DAY, '%Y-%m-%dT%H:%M:%SZ'),
        'salesChannel': {'channelName': 'AMAZON', 'marketplaceId': marketplace_id, 'marketplaceName': marketplace_name},
        'buyerKey': md5(CAST(i % 50000 AS VARCHAR))[:20],
        'fulfillment': {'fulfillmentStatus': 'SHIPPED', 'fulfilledBy': 'AMAZON', 'fulfillmentServiceLevel': 'STANDARD',
                        'deliverByWindow': {'latestDateTime': strftime(created + INTERVAL 5 DAY, '%Y-%m-%dT%H:%M:%SZ')}},
        'recipient': {'deliveryAddress': {'city': 'Berlin', 'countryCode': 'DE'}},
        'proceeds': {
            'grandTotal': {'amount': CAST(sum(line_total) AS VARCHAR), 'currencyCode': currency},
            'breakdowns': [
                {'type': 'ITEM', 'subtotal': {'amount': CAST(sum(item_amount) AS VARCHAR), 'currencyCode': currency}},
                {'type': 'SHIPPING', 'subtotal': {'amount': CAST(sum(shipping) AS VARCHAR), 'currencyCode': currency}},
                {'type': 'TAX', 'subtotal': {'amount': CAST(sum(tax) AS VARCHAR), 'currencyCode': currency}}
            ]
        },
        'orderItems': list({
            'orderItemId': item_id,
            'quantityOrdered': quantity,
            'product': {'asin': printf('B%09d', (i * 7 + k) % 5000), 'title': 'Product ' || sku, 'sellerSku': sku,
                        'price': {'unitPrice': {'amount': CAST(unit_price AS VARCHAR), 'currencyCode': currency}}},
            'proceeds': {
                'proceedsTotal': {'amount': CAST(line_total AS VARCHAR), 'currencyCode': currency},
                'breakdowns': [
                    {'type': 'ITEM', 'subtotal': {'amount': CAST(item_amount AS VARCHAR), 'currencyCode': currency}},
                    {'type': 'SHIPPING', 'subtotal': {'amount': CAST(shipping AS VARCHAR), 'currencyCode': currency}},
                    {'type': 'TAX', 'subtotal': {'amount': CAST(tax AS VARCHAR), 'currencyCode': currency},
                     'detailedBreakdowns': [{'subtype': 'ITEM', 'value': {'amount': CAST(tax AS VARCHAR), 'currencyCode': currency}}]}
                ]
            },
            'fulfillment': {'quantityFulfilled': quantity, 'quantityUnfulfilled': 0}
        } ORDER BY k)
    }) AS payload
FROM priced
GROUP BY order_id, marketplace_id, marketplace_name, currency, created, i;

INSERT INTO raw.order_versions BY NAME
SELECT order_id, md5(CAST(payload AS VARCHAR)) AS payload_hash, marketplace_id, purchase_date, last_updated AS last_updated_time,
       payload, 'bench' AS source, 'bench' AS request_id, now() AS fetched_at
FROM gen_orders;
DROP TABLE gen_lines;
DROP TABLE gen_orders;
"""

# The same rows, the same fields, the same types, written the shortest way: no validation, no keys.
BARE = """
CREATE SCHEMA IF NOT EXISTS bare;
CREATE OR REPLACE TABLE bare.latest AS
SELECT * FROM raw.order_versions
WHERE purchase_date >= $start AND purchase_date < $end
QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY last_updated_time DESC, fetched_at DESC) = 1;

CREATE OR REPLACE TABLE bare.orders AS
SELECT
    order_id, marketplace_id, purchase_date,
    payload ->> '$.salesChannel.marketplaceName' AS sales_channel,
    CAST(payload ->> '$.createdTime' AS TIMESTAMPTZ) AS purchase_ts,
    last_updated_time AS last_update_ts,
    payload ->> '$.fulfillment.fulfilledBy' AS fulfillment_channel,
    payload ->> '$.fulfillment.fulfillmentStatus' AS order_status,
    payload ->> '$.proceeds.grandTotal.currencyCode' AS currency,
    CAST(payload ->> '$.proceeds.grandTotal.amount' AS DECIMAL(18, 2)) AS order_total,
    payload ->> '$.buyerKey' AS buyer_key,
    CAST(json_array_length(payload, '$.orderItems') AS INTEGER) AS line_count
FROM bare.latest;

CREATE OR REPLACE TABLE bare.order_lines AS
SELECT
    order_id, purchase_date, marketplace_id,
    i ->> '$.orderItemId' AS order_item_id,
    i ->> '$.product.sellerSku' AS sku,
    i ->> '$.product.asin' AS asin,
    i ->> '$.product.title' AS title,
    CAST(i ->> '$.quantityOrdered' AS INTEGER) AS quantity_ordered,
    CAST(i ->> '$.fulfillment.quantityFulfilled' AS INTEGER) AS quantity_shipped,
    i ->> '$.product.price.unitPrice.currencyCode' AS currency,
    CAST(i ->> '$.product.price.unitPrice.amount' AS DECIMAL(18, 2)) AS unit_price,
    CAST(i ->> '$.proceeds.breakdowns[0].subtotal.amount' AS DECIMAL(18, 2)) AS item_amount,
    CAST(i ->> '$.proceeds.proceedsTotal.amount' AS DECIMAL(18, 2)) AS line_total
FROM (SELECT order_id, purchase_date, marketplace_id, unnest(CAST(payload -> '$.orderItems' AS JSON[])) AS i FROM bare.latest);
"""


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def _timed(conn: duckdb.DuckDBPyConnection, work) -> float:
    started = time.perf_counter()
    conn.begin()
    work()
    conn.commit()
    return time.perf_counter() - started


def generate(path: str, orders: int) -> None:
    """Fills raw.order_versions of a new warehouse at `path` (run in a child process: its memory is not ours)."""
    with WarehouseResource(database=path).connect() as conn:
        conn.execute("SET enable_progress_bar = false")
        execute_script(conn, GENERATE, {"orders": orders})
        conn.execute("CHECKPOINT")


def run(lines: int = 1_000_000) -> dict:
    orders = lines * 2 // 5  # 2 or 3 items, alternately: 2.5 per order
    params = {"start": START, "end": date(2026, 1, 1 + DAYS), "run_id": "bench"}
    with tempfile.TemporaryDirectory(prefix="bench-core-") as work:
        path = str(Path(work) / "warehouse.duckdb")
        started = time.perf_counter()
        code = f"from amazon_zoho.bench.core_transform import generate; generate({path!r}, {orders})"
        subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True)
        generated = time.perf_counter() - started
        return {"orders": orders, "generate_s": round(generated, 2), **_measure(WarehouseResource(database=path), params)}


def _measure(warehouse: WarehouseResource, params: dict) -> dict:
    with warehouse.connect() as conn:
        conn.execute("SET enable_progress_bar = false")
        raw_lines, _ = conn.execute(
            "SELECT sum(json_array_length(payload, '$.orderItems')), sum(length(CAST(payload AS VARCHAR))) FROM raw.order_versions"
        ).fetchone()  # also warms the cache for both contenders

        def ours():
            for step in steps.BUILD_ORDERS:
                step.run(conn, params)

        bare_seconds = _timed(conn, lambda: execute_script(conn, BARE, params))
        ours_seconds = _timed(conn, ours)
        started = time.perf_counter()
        checks = [evaluate(conn, order_assets.__file__, c, params, c.key) for c in order_assets.ORDER_CHECKS]
        checks_seconds = time.perf_counter() - started
        core_lines, bare_lines, quarantined = conn.execute(
            "SELECT (SELECT count(*) FROM core.order_lines), (SELECT count(*) FROM bare.order_lines), (SELECT count(*) FROM ops.quarantine)"
        ).fetchone()
        threads, memory_limit = conn.execute("SELECT current_setting('threads'), current_setting('memory_limit')").fetchone()
    assert core_lines == bare_lines == raw_lines, (core_lines, bare_lines, raw_lines)
    ours_rate, bare_rate = core_lines / ours_seconds, bare_lines / bare_seconds
    return {
        "order_lines": core_lines,
        "ours_s": round(ours_seconds, 2),
        "ours_lines_per_s": round(ours_rate),
        "bare_s": round(bare_seconds, 2),
        "bare_lines_per_s": round(bare_rate),
        "ratio_ours_to_bare": round(ours_rate / bare_rate, 2),
        "checks_s": round(checks_seconds, 2),
        "checks_passed": all(c.passed for c in checks),
        "quarantined": quarantined,
        "peak_rss_mb": _peak_rss_mb(),
        "duckdb_threads": threads,
        "duckdb_memory_limit": memory_limit,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    print(json.dumps(run(parser.parse_args().lines), indent=2))
