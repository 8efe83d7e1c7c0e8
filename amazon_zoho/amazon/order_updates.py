"""Late changes: orders that moved after their purchase day, found with searchOrders by lastUpdated.

Each scan stores the new versions in raw (from a spool file, a chunk at a time) and records [updated_after, updated_before) in
ops.order_update_scans in the same transaction. That ledger is two things at once:
- coverage: the daily lookback scans only what no scan covered (so with the sensor running it costs no
  calls), and a stopped sensor's gap is scanned by the next daily run;
- a change feed: `changed_days` are the purchase days with new versions, which the order-updates sensor
  turns into re-materializations of the downstream assets.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO

from .. import clock
from ..warehouse import WarehouseResource, sql
from . import orders
from .order_store import store_orders
from .spapi import SpApiClient

SENSOR_SOURCE = "order_updates_sensor"
LOOKBACK_SOURCE = "raw_orders_lookback"
# A trailing gap younger than this is left to the sensor, whose next tick starts exactly there. An older
# one means the sensor is not running, and the daily lookback scans it.
SENSOR_GRACE = timedelta(hours=1)
# Gaps this close together are scanned as one stretch: one paged scan costs less than several.
MERGE_GAPS_WITHIN = timedelta(hours=1)
# A scan's orders are spooled to a file as their pages come, then stored from it this many at a time, all in the one
# transaction that records the scan: a busy seller's lookback (50,863 orders at 10,000 a day) is never held in memory
# whole (issue #17), the change feed stays atomic, and the warehouse is not locked while Amazon answers.
STORE_CHUNK = 2_000


@dataclass
class Scan:
    after: datetime
    before: datetime  # covered up to here (exclusive); earlier than asked when the scan stopped early
    orders_seen: int = 0
    new_versions: int = 0
    changed_days: list[date] = field(default_factory=list)
    calls: int = 0
    complete: bool = True


def scan_updates(
    client: SpApiClient,
    warehouse: WarehouseResource,
    marketplace_ids: list[str],
    after: datetime,
    before: datetime,
    source: str,
    run_id: str | None = None,
    own_window: tuple[date, date] | None = None,
    max_pages: int | None = None,
    never_wait: bool = False,
    seen: set[str] | None = None,
) -> Scan:
    """Fetches orders last updated in [after, before), stores new versions and records the scan.

    `own_window` (a run's partition window) is left out of changed_days: that run rebuilds it anyway.
    With `max_pages`, or `never_wait` once the searchOrders bucket is empty, a scan that has more pages
    stops and covers up to the last lastUpdatedTime seen; the next scan continues from there. `seen` collects the ids
    of the orders fetched (the intraday sensor marks their notifications done).
    """
    before = orders.clamp_before(before)
    scan = Scan(after, before)
    if before <= after:
        return scan
    calls_before = sum(client.calls.values())
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        scan.orders_seen = _fetch(client, marketplace_ids, after, scan, spool, max_pages, never_wait)
        scan.calls = sum(client.calls.values()) - calls_before
        spool.seek(0)
        with warehouse.connect() as conn:
            conn.begin()
            fetched_at, changed = clock.now(), set()
            for chunk in _chunks(spool):
                if seen is not None:
                    seen.update(o.order_id for o in chunk)
                stored = store_orders(conn, chunk, "searchOrders:lastUpdated", fetched_at, run_id, salt=warehouse.pii_salt)
                scan.new_versions += stored.new_versions
                changed |= set(stored.changed_days)
            scan.changed_days = sorted(d for d in changed if not (own_window and own_window[0] <= d < own_window[1]))
            conn.execute(
                "INSERT INTO ops.order_update_scans (source, updated_after, updated_before, orders_seen, new_versions,"
                " changed_days, amazon_calls, run_id, scanned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source, scan.after, scan.before, scan.orders_seen, scan.new_versions, scan.changed_days, scan.calls,
                 run_id, clock.now()],
            )
            conn.commit()
    return scan


def _fetch(client: SpApiClient, marketplace_ids: list[str], after: datetime, scan: Scan, spool: IO[str],
           max_pages: int | None, never_wait: bool) -> int:
    """Pages through searchOrders by lastUpdated over the scan, each order a line of `spool`; returns how many."""
    seen = 0
    pages = orders.search_pages(client, marketplace_ids, after, scan.before, by="lastUpdated")
    for n, page in enumerate(pages, start=1):
        spool.writelines(json.dumps(dataclasses.astuple(o)) + "\n" for o in page)
        seen += len(page)
        reached = max((clock.parse_instant(o.last_updated) for o in page if o.last_updated), default=None)
        # A full page may have more behind it; stop only if it moved us forward (orders sharing one
        # lastUpdatedTime across a page boundary are fetched again next time, and dedupe by hash).
        out_of_budget = (max_pages and n >= max_pages) or (never_wait and client.limiter.bucket("searchOrders").available() < 1)
        if out_of_budget and len(page) >= 100 and reached and reached > after:
            scan.before, scan.complete = reached, False
            pages.close()
            break
    return seen


def _chunks(spool: IO[str]) -> Iterator[list[orders.FetchedOrder]]:
    """The spooled orders, STORE_CHUNK at a time (one empty chunk when there are none: the scan is recorded anyway)."""
    chunk: list[orders.FetchedOrder] = []
    chunks = 0
    for line in spool:
        chunk.append(orders.FetchedOrder(*json.loads(line)))
        if len(chunk) == STORE_CHUNK:
            yield chunk
            chunk, chunks = [], chunks + 1
    if chunk or not chunks:
        yield chunk


def lookback(
    client: SpApiClient,
    warehouse: WarehouseResource,
    marketplace_ids: list[str],
    days: int,
    own_window: tuple[date, date],
    run_id: str | None,
) -> list[Scan]:
    """Scans what no lastUpdated scan of the last `days` days covered (the daily run's safety net)."""
    if days <= 0:
        return []
    now = clock.now()
    start, end = now - timedelta(days=days), orders.clamp_before(now)
    scans = []
    for gap_start, gap_end in uncovered(warehouse, start, end):
        scans.append(scan_updates(client, warehouse, marketplace_ids, gap_start, gap_end, LOOKBACK_SOURCE, run_id, own_window))
    return scans


def gaps(warehouse: WarehouseResource, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Stretches of [start, end) no scan in the ledger covered, oldest first."""
    with warehouse.connect() as conn:
        return conn.execute(sql(__file__, "order_update_gaps.sql"), {"scan_from": start, "scan_to": end}).fetchall()


def uncovered(warehouse: WarehouseResource, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Gaps in the ledger over [start, end), merged when close, minus a trailing gap the sensor will take."""
    merged: list[tuple[datetime, datetime]] = []
    for gap_start, gap_end in gaps(warehouse, start, end):
        if merged and gap_start - merged[-1][1] < MERGE_GAPS_WITHIN:
            merged[-1] = (merged[-1][0], gap_end)
        else:
            merged.append((gap_start, gap_end))
    if merged and merged[-1][1] >= end and start < merged[-1][0] > end - SENSOR_GRACE:
        merged.pop()  # a scan ended moments ago: the sensor continues from there on its next tick
    return merged


def covered_until(warehouse: WarehouseResource) -> datetime | None:
    """End of the latest lastUpdated scan, where a sensor without a cursor picks up."""
    with warehouse.connect() as conn:
        return conn.execute("SELECT max(updated_before) FROM ops.order_update_scans").fetchone()[0]


def changed_since(warehouse: WarehouseResource, scan_id: int) -> tuple[list[date], int]:
    """(purchase days changed by scans after `scan_id`, the newest scan id) from the ledger."""
    with warehouse.connect() as conn:
        days, newest = conn.execute(
            "SELECT list_sort(list_distinct(flatten(list(changed_days)))), max(scan_id)"
            " FROM ops.order_update_scans WHERE scan_id > ?",
            [scan_id],
        ).fetchone()
    return list(days or []), newest if newest is not None else scan_id
