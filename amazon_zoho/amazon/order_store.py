"""Stores fetched orders in raw: buyer PII split off to pii, one row per new version, rejects quarantined.

Every path that fetches orders (the daily scan, the lookback, the order-updates sensor, getOrder during
bulk backfills) stores them here, so raw rows look the same whichever path brought them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from . import pii_split
from .orders import FetchedOrder, Refused
from .steps import INSERT_ORDER_VERSIONS, QUARANTINE_ORDER_VERSIONS, UPSERT_ORDER_CONTACTS

CONTACT_COLUMNS = [
    "order_id", "buyer_key", "buyer_name", "buyer_email", "buyer_company", "recipient_name", "address_line1",
    "address_line2", "city", "state", "postal_code", "country_code", "phone",
]
INCOMING_COLUMNS = ["order_id", "marketplace_id", "payload", "request_id", "source", "fetched_at"]
# Up to this many orders, insert_order_versions.sql finds the versions already held by a list of their ids, which keeps
# the table's payloads out of memory; past it, by a semi-join, whose time does not grow with the batch (the list's
# does: 0.3 s for 350 ids against a year of versions, 20 s for 20,000). A getOrder batch is 200 (order_reports.BUYER_BATCH).
ID_LIST_MAX = 1_000


@dataclass
class Stored:
    new_versions: int
    changed_days: list[date]
    quarantined: int


def store_orders(
    conn: duckdb.DuckDBPyConnection,
    fetched: list[FetchedOrder],
    source: str,
    fetched_at: datetime,
    run_id: str | None,
    quarantine_date: date | None = None,
    *,
    salt: str,
) -> Stored:
    """Inserts new versions (and their contacts) inside the caller's transaction.

    Orders that cannot be placed in a partition go to ops.quarantine under `quarantine_date` when given;
    buyer keys are made with `salt`, the warehouse's (WarehouseResource.pii_salt).
    """
    rows, contacts = [], []
    for order in fetched:
        parsed = _loads(order.payload)
        clean, contact = pii_split.split(parsed, salt) if parsed is not None else ({}, None)
        payload = pii_split.dumps(clean) if parsed is not None else order.payload
        rows.append((order.order_id, order.marketplace_id, payload, order.request_id, source, fetched_at))
        if contact:
            contacts.append({**contact, "fetched_at": fetched_at})
    incoming = pd.DataFrame(rows, columns=INCOMING_COLUMNS)
    ids = sorted({order.order_id for order in fetched if order.order_id})
    INSERT_ORDER_VERSIONS.run(conn, {"order_ids": ids if len(ids) <= ID_LIST_MAX else None}, incoming=incoming)
    quarantined = 0
    if quarantine_date is not None:
        before = count_of(conn, "SELECT count(*) FROM ops.quarantine WHERE source = 'raw_orders'")
        QUARANTINE_ORDER_VERSIONS.run(conn, {"window_start": quarantine_date, "run_id": run_id}, incoming=incoming)
        quarantined = count_of(conn, "SELECT count(*) FROM ops.quarantine WHERE source = 'raw_orders'") - before
    UPSERT_ORDER_CONTACTS.run(conn, incoming_contacts=pd.DataFrame(contacts, columns=[*CONTACT_COLUMNS, "fetched_at"]))
    new = count_of(conn, "SELECT count(*) FROM new_versions")
    days = [d for (d,) in conn.execute("SELECT DISTINCT purchase_date FROM new_versions ORDER BY 1").fetchall()]
    return Stored(new, days, quarantined)


REFUSED_SOURCE = "order_buyer_lookup"


def quarantine_refused(conn: duckdb.DuckDBPyConnection, refused: list[Refused], quarantine_date: date | None, run_id: str | None) -> int:
    """One ops.quarantine row per order getOrder refused, with what Amazon said. raw_orders clears these rows
    for its window when it starts, so the next run asks again and the row goes once Amazon serves the order."""
    rows = [
        (r.order_id, quarantine_date, r.order_id,
         f"getOrder answered HTTP {r.status} {r.error_code or '(no error code)'}"
         + (f" request_id={r.request_id}" if r.request_id else "")
         + "; buyer details not fetched, asked again when its purchase day is loaded again",
         run_id)
        for r in refused
    ]
    if rows:
        # Filed under the order's own purchase day, not the report's window: that day's next run (raw_orders clears
        # these rows for its window and asks again) is where it belongs.
        conn.executemany(
            f"INSERT INTO ops.quarantine (source, partition_date, record_key, reason, run_id) VALUES ('{REFUSED_SOURCE}', "
            "coalesce((SELECT max(purchase_date) FROM raw.order_versions WHERE order_id = ?), ?), ?, ?, ?)",
            rows,
        )
    return len(rows)


def count_of(conn: duckdb.DuckDBPyConnection, query: str) -> int:
    # fetchall, not fetchone: DuckDB registers no data frame (the next step's) while a result is left unfinished.
    return conn.execute(query).fetchall()[0][0]


def _loads(payload: str) -> dict | None:
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
