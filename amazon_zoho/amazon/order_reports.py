"""Bulk backfills from the all-orders flat file (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL).

A year of orders is 13 reports of at most 30 days (a handful of calls each) instead of thousands of
searchOrders pages. Rows are parsed by header name and become v2026-shaped orders in raw
(source 'report'), so core reads them like any other. Reports carry no buyer: merchant-fulfilled orders
that Amazon would show a buyer for (shipping or shipped, within the buyer-data horizon) are fetched once
with getOrder, which is what the Zoho Contacts sync needs; FBA orders go to the marketplace's shared contact
either way.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import requests

from .. import clock
from ..partitions import day_range
from ..warehouse import WarehouseResource
from . import flat_files, orders
from .order_store import quarantine_refused, store_orders
from .reports import ORDERS_BY_DATE, Decoded, ReportOutcome, ReportSpec, download_document, run_reports
from .spapi import SpApiClient
from .steps import BUYER_DETAIL_CANDIDATES, INSERT_REPORT_VERSIONS, ORDER_REPORT_PAYLOADS

# Amazon: "Date range exceeded. Report can be requested only upto 30 days" (API-FACTS §12a).
REPORT_WINDOW = timedelta(days=30)
MAX_MARKETPLACES_PER_REPORT = 25  # CreateReportSpecification.marketplaceIds maxItems
# Amazon returns the buyer only for merchant-fulfilled orders in these states (API-FACTS §2b).
BUYER_STATUSES = ["UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"]
# A report's orders are shaped this many lines at a time, each part in its own transaction (_load_text): every order's
# JSON built at once outgrew DuckDB's 512 MB memory_limit (settings.py) at 10,000 orders a day over a 14-day report
# (OutOfMemoryException in order_report_payloads.sql's GROUP BY with list()), where one day's API pages never come near
# it; at the 256MB limit parts of 40,000 lines still did, parts of 20,000 fit (issue #17).
REPORT_PART_LINES = 20_000
ALL_LINES, LOADED = "order_report_all_lines", "order_report_loaded"  # the file's lines; the orders of the parts done
BUYER_BATCH = 200  # getOrder results stored per transaction, so an interrupted backfill keeps its progress
# Header name -> column of order_report_lines. Only these are read; others in the file are ignored.
COLUMNS = {
    "amazon-order-id": "order_id_text", "purchase-date": "purchase_date", "last-updated-date": "last_updated_date",
    "order-status": "order_status", "order-item-id": "order_item_id", "fulfillment-channel": "fulfillment_channel",
    "sales-channel": "sales_channel", "ship-service-level": "ship_service_level", "product-name": "product_name",
    "sku": "sku", "asin": "asin", "item-status": "item_status", "quantity": "quantity", "currency": "currency",
    "item-price": "item_price", "item-tax": "item_tax", "shipping-price": "shipping_price",
    "shipping-tax": "shipping_tax", "gift-wrap-price": "gift_wrap_price", "gift-wrap-tax": "gift_wrap_tax",
    "item-promotion-discount": "item_promotion_discount", "ship-promotion-discount": "ship_promotion_discount",
    "ship-city": "ship_city", "ship-state": "ship_state", "ship-country": "ship_country",
}
REQUIRED = ("amazon-order-id", "purchase-date", "last-updated-date", "order-status", "fulfillment-channel", "sales-channel", "quantity")
# Cells that identify a buyer (API-FACTS §12a: treat the ship-to details as PII): blanked in the raw text a
# quarantined line keeps, since ops.quarantine is readable by operators and pii is the one restricted schema.
REDACTED = ("ship-postal-code", "cpf", "buyer-identification-number", "purchase-order-number")


@dataclass
class BulkLoad:
    reports: int = 0
    reused: int = 0
    cancelled: int = 0
    fatal_retries: int = 0
    orders: int = 0
    new_versions: int = 0
    quarantined: int = 0
    buyer_lookups: int = 0
    changed_days: set[date] = field(default_factory=set)
    # Reports read in a guessed encoding ("<report id>: <note>"), as recorded in ops.decode_events.
    decode_notes: list[str] = field(default_factory=list)


def report_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive windows of at most REPORT_WINDOW."""
    out, cursor = [], start
    while cursor < end:
        out.append((cursor, min(cursor + REPORT_WINDOW, end)))
        cursor = out[-1][1]
    return out


def load_orders_from_reports(
    client: SpApiClient,
    session: requests.Session,
    warehouse: WarehouseResource,
    marketplace_ids: list[str],
    start: datetime,
    end: datetime,
    run_id: str | None,
    log: logging.Logger | None = None,
) -> BulkLoad:
    log = log or logging.getLogger(__name__)
    specs = [
        ReportSpec(ORDERS_BY_DATE, s, e, tuple(marketplace_ids[i : i + MAX_MARKETPLACES_PER_REPORT]))
        for s, e in report_windows(start, end)
        for i in range(0, len(marketplace_ids), MAX_MARKETPLACES_PER_REPORT)
    ]
    outcomes = run_reports(client, session, specs, time_scale=client.limiter.time_scale)
    result = BulkLoad(reports=len(outcomes))
    pii_since = clock.now() - orders.BUYER_DETAILS_MAX_AGE
    for outcome in sorted(outcomes, key=lambda o: o.spec.start):
        result.reused += outcome.reused
        result.fatal_retries += len(outcome.fatal)
        if outcome.status == "CANCELLED":
            # Amazon cancels a report by itself when there is no data to return.
            result.cancelled += 1
            log.info(f"report {outcome.report_id} ({day_range(outcome.spec.start.date(), outcome.spec.end.date())}) CANCELLED: no orders")
            with warehouse.connect() as conn:
                _record(conn, outcome, None, run_id)
            continue
        # An undeclared non-UTF-8 file is read in its marketplace's likely encoding (the first one's, for a
        # report over several: Amazon writes one file in one encoding).
        marketplace = outcome.spec.marketplace_ids[0] if outcome.spec.marketplace_ids else None
        document = download_document(client, session, outcome.document_id, marketplace_id=marketplace)
        if document.decode_note:
            result.decode_notes.append(f"{outcome.report_id}: read as {document.encoding}: {document.decode_note}")
            log.warning(f"order report {result.decode_notes[-1]}; recorded in ops.decode_events")
        with warehouse.connect() as conn:
            decoded = Decoded("", document.encoding, document.charset, document.decode_note)  # how it was read, for record_decode
            text = [document.text]
            del document  # from here the file's text lives in `text`, then only in DuckDB
            loaded, quarantined, new, days = _load_text(conn, text, outcome, run_id)
            # The report counts as loaded (ops.report_requests) only once every part is: a crash before here loads it
            # again, which adds no version twice (insert_order_versions.sql) and clears its quarantine rows first.
            conn.begin()
            flat_files.record_decode(conn, "order_report", outcome.report_id, marketplace, decoded, run_id)
            _record(conn, outcome, loaded, run_id)
            # A refused file (its header lacks a required column) made no orders to look buyers up for.
            wanted = [r[0] for r in BUYER_DETAIL_CANDIDATES.rows(conn, {"pii_since": pii_since, "statuses": BUYER_STATUSES})] if loaded else []
            conn.commit()
        result.orders += loaded
        result.quarantined += quarantined
        result.new_versions += new
        result.changed_days |= set(days)
        log.info(f"report {outcome.report_id}: {loaded} orders, {new} new versions, {quarantined} lines quarantined, "
                 f"{len(wanted)} merchant-fulfilled orders need buyer details")
        stored, refused = fetch_buyer_details(client, warehouse, wanted, run_id, quarantine_date=outcome.spec.start.date())
        result.buyer_lookups += len(wanted)
        result.quarantined += refused
        result.new_versions += stored
    return result


def fetch_buyer_details(
    client: SpApiClient, warehouse: WarehouseResource, order_ids: list[str], run_id: str | None, quarantine_date: date | None = None
) -> tuple[int, int]:
    """getOrder for each id (buyer, recipient and the rest of the order), stored as API versions; an order Amazon
    refuses (404/403) is quarantined with what it said and the others still land. Returns (new versions, refused)."""
    new = refused_total = 0
    for i in range(0, len(order_ids), BUYER_BATCH):
        fetched, refused = orders.get_orders(client, order_ids[i : i + BUYER_BATCH])
        with warehouse.connect() as conn:
            conn.begin()
            new += store_orders(conn, fetched, "getOrder", clock.now(), run_id, salt=warehouse.pii_salt).new_versions
            refused_total += quarantine_refused(conn, refused, quarantine_date, run_id)
            conn.commit()
    return new, refused_total


def _load_document(conn: duckdb.DuckDBPyConnection, text: str, outcome: ReportOutcome, run_id: str | None,
                   own_transactions: bool = True) -> tuple[int, int, int, list[date]]:
    """(orders in the file, lines quarantined, new versions, purchase days with new versions). With `own_transactions`
    it commits each part itself, so `conn` must hold no transaction; without, every part is in the caller's."""
    return _load_text(conn, [text], outcome, run_id, own_transactions)


def _load_text(conn: duckdb.DuckDBPyConnection, text: list[str], outcome: ReportOutcome, run_id: str | None,
               own_transactions: bool = True) -> tuple[int, int, int, list[date]]:
    """_load_document's work on the file's text, handed over in a one-item list that this empties once DuckDB holds
    the file: the shaping below then runs without the text in Python's memory (57 MB at 10,000 orders a day over 14
    days; a list of its lines was another ~150 MB, so it is never made: flat_files.iter_lines).

    Each part is one transaction. In one transaction for the whole file, DuckDB kept every part's replaced temp tables
    until the commit (for a rollback): ~100 MB more per part of 10,000 lines, which at the 256MB limit ran out of
    memory on the 14-day report at 10,000 orders a day (issue #17). A part's orders land whole or not at all."""
    whole = text.pop()
    first = flat_files.trim_line(flat_files.first_line(whole))
    header = flat_files.header_of([first])
    params = {"report_id": outcome.report_id, "window_start": outcome.spec.start.date(), "run_id": run_id}
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        conn.execute(
            "INSERT INTO ops.quarantine (source, partition_date, record_key, file_name, line_number, reason, raw_text, run_id)"
            " VALUES ('order_report', ?, ?, ?, 1, ?, ?, ?)",
            [params["window_start"], outcome.report_id, outcome.report_id, f"header lacks required columns {missing}",
             first, run_id],
        )
        return 0, 1, 0, []
    flat_files.read_tsv(conn, whole, "order_report_file", "order_report_rejects")
    del whole
    mapped = ", ".join(f'"{name}" AS {column}' if name in header else f"NULL::VARCHAR AS {column}" for name, column in COLUMNS.items())
    raw_line = "concat_ws(chr(9), " + ", ".join(
        f"CASE WHEN \"{name}\" IS NULL THEN '' ELSE '<redacted>' END" if name in REDACTED else f"coalesce(\"{name}\", '')"
        for name in header
    ) + ")"
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {ALL_LINES} AS SELECT CAST(__line AS INTEGER) AS line_number, "
        f"{raw_line} AS raw_line, {mapped} FROM order_report_file"
    )
    conn.execute("DROP TABLE order_report_file")
    [(total,)] = conn.execute(f"SELECT count(*) FROM {ALL_LINES}").fetchall()
    parts = max(1, math.ceil(total / REPORT_PART_LINES))
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {LOADED} (order_id VARCHAR, fulfilled_by VARCHAR, status VARCHAR, "
                 "created_ts TIMESTAMPTZ, updated_ts TIMESTAMPTZ)")
    new, days = 0, set()
    for part in range(parts):
        if own_transactions:
            conn.begin()
        if part == 0:
            conn.execute("DELETE FROM ops.quarantine WHERE source = 'order_report' AND file_name = ?", [outcome.report_id])
        # Whole orders per part (split by their id), so an order's lines are shaped, held back or kept together.
        conn.execute(f"CREATE OR REPLACE TEMP TABLE order_report_lines AS SELECT * FROM {ALL_LINES} "
                     "WHERE hash(coalesce(trim(order_id_text), '')) % ? = ?", [parts, part])
        ORDER_REPORT_PAYLOADS.run(conn, {
            **params, "marketplaces": list(outcome.spec.marketplace_ids), "columns": len(header), "fetched_at": clock.now(),
            "order_id_cell": header.index("amazon-order-id") + 1, "first_part": part == 0,
        })
        INSERT_REPORT_VERSIONS.run(conn, {"order_ids": None})  # a part's 20,000 ids: the semi-join (insert_order_versions.sql)
        conn.execute(f"INSERT INTO {LOADED} SELECT order_id, fulfilled_by, status, created_ts, updated_ts FROM order_report_orders")
        new += conn.execute("SELECT count(*) FROM new_versions").fetchone()[0]
        days |= {d for (d,) in conn.execute("SELECT DISTINCT purchase_date FROM new_versions").fetchall()}
        if own_transactions:
            conn.commit()
    # What BUYER_DETAIL_CANDIDATES reads next: every part's orders, without their payloads.
    conn.execute(f"CREATE OR REPLACE TEMP TABLE order_report_orders AS SELECT * FROM {LOADED}")
    loaded = conn.execute("SELECT count(*) FROM order_report_orders").fetchone()[0]
    quarantined = conn.execute(
        "SELECT count(*) FROM ops.quarantine WHERE source = 'order_report' AND file_name = ?", [outcome.report_id]
    ).fetchone()[0]
    conn.execute(f"DROP TABLE IF EXISTS incoming; DROP TABLE IF EXISTS {ALL_LINES}; DROP TABLE IF EXISTS order_report_lines; "
                 f"DROP TABLE IF EXISTS {LOADED}")
    return loaded, quarantined, new, sorted(days)


def _record(conn: duckdb.DuckDBPyConnection, outcome: ReportOutcome, rows: int | None, run_id: str | None) -> None:
    spec, now = outcome.spec, clock.now()
    ledger = [(rid, "FATAL", False, n, reason, None) for n, (rid, reason) in enumerate(outcome.fatal, start=1)]
    ledger.append((outcome.report_id, outcome.status, outcome.reused, outcome.attempt, None, rows))
    for report_id, status, reused, attempt, detail, loaded in ledger:
        conn.execute(
            "INSERT OR REPLACE INTO ops.report_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [report_id, spec.report_type, list(spec.marketplace_ids), spec.start, spec.end, status, reused, attempt,
             detail, loaded, run_id, now],
        )
