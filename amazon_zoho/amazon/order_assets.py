"""Raw orders: every order created in the partition window, plus the late changes the sensor may have missed.

Short windows (the daily run) page through searchOrders; long ones (backfills) read the all-orders flat-file
report instead. Why the threshold sits at 3 days, at about 1,000 orders a day: searchOrders costs one
call per 100 orders at 0.0056/s after a burst of 20, so 2 days (20 pages) are free and each further day
costs 10 x 180 s = 30 min; a report costs a handful of calls but then one getOrder (0.5/s, burst 30) per
merchant-fulfilled order for its buyer, about 400 x 2 s = 13 min per day. Below ~3.5 days searchOrders
finishes sooner; above it reports do, and the gap widens with every day (a year: ~13 report calls plus
buyer lookups for the last 30 days, against ~3,650 searchOrders pages, 7.5 days of waiting).
"""


from datetime import datetime

import dagster as dg

from .. import clock
from ..partitions import day_range
from ..warehouse import WarehouseResource
from ..warehouse.figures import rows_per_day, table_rows, window_figures
from . import order_updates, orders
from .order_reports import load_orders_from_reports
from .order_store import REFUSED_SOURCE, store_orders
from .raw_asset import raw_asset
from .resource import AmazonSellerResource

BULK_THRESHOLD_DAYS = 3


def raw_orders_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    return dg.asset(key=["amazon_raw", "raw_orders"], **raw_asset(partitions))(raw_orders)


def raw_orders(context: dg.AssetExecutionContext, amazon: AmazonSellerResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Orders with their items from Amazon (searchOrders, or flat-file reports for long backfills), one row per version, buyer PII split off."""
    window = context.partition_time_window
    client = amazon.client()
    calls_before = dict(client.calls)
    days = (window.end - window.start).days
    with warehouse.connect() as conn:
        # Either path re-reads the whole window: what it held back last time is judged again.
        conn.execute(
            "DELETE FROM ops.quarantine WHERE source IN ('raw_orders', 'order_report', ?) AND partition_date >= ? AND partition_date < ?",
            [REFUSED_SOURCE, window.start.date(), window.end.date()],
        )
    if days > BULK_THRESHOLD_DAYS:
        bulk = load_orders_from_reports(
            client, amazon.session(), warehouse, amazon.marketplace_ids, window.start, window.end, context.run_id, context.log
        )
        path = {
            "path": "reports", "orders_fetched": bulk.orders, "new_versions": bulk.new_versions, "quarantined": bulk.quarantined,
            "reports": bulk.reports, "reports_reused": bulk.reused, "reports_cancelled": bulk.cancelled,
            "reports_fatal_retried": bulk.fatal_retries, "buyer_lookups": bulk.buyer_lookups,
            "fallback_decodes": len(bulk.decode_notes),
            "decode_notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in bulk.decode_notes) or "every report read cleanly"),
        }
    else:
        path = _search_window(context, client, warehouse, amazon.marketplace_ids, window.start, window.end)
    scans = order_updates.lookback(
        client, warehouse, amazon.marketplace_ids, amazon.lookback_days, (window.start.date(), window.end.date()), context.run_id
    )
    if path["quarantined"]:
        context.log.warning(f"{path['quarantined']} orders or lines in {day_range(window.start.date(), window.end.date())} quarantined; see ops.quarantine")
    calls = {op: n - calls_before.get(op, 0) for op, n in client.calls.items() if n > calls_before.get(op, 0)}
    with warehouse.connect() as conn:
        orders_held = table_rows(conn, "raw.order_versions", "count(DISTINCT order_id)")
        per_day = rows_per_day(conn, "raw.order_versions", "purchase_date", window.start.date(), window.end.date(), "count(DISTINCT order_id)")
    figures = {
        **path,
        "lookback_scans": len(scans),
        "lookback_new_versions": sum(s.new_versions for s in scans),
        "lookback_changed_days": dg.MetadataValue.text(", ".join(sorted({str(d) for s in scans for d in s.changed_days})) or "none"),
        "amazon_calls": sum(calls.values()),
        "amazon_calls_by_operation": dg.MetadataValue.json(calls),
        "window": f"{window.start.isoformat()} .. {window.end.isoformat()}",
    }
    return dg.MaterializeResult(metadata=window_figures(context, figures, table_rows=orders_held, rows_per_day=per_day))


def _search_window(context, client, warehouse: WarehouseResource, marketplace_ids: list[str], start: datetime, end: datetime) -> dict:
    """One paged searchOrders scan over the whole window (all marketplaces in each call)."""
    fetched = list(orders.search_orders(client, marketplace_ids, start, end, included=orders.included_data(end)))
    with warehouse.connect() as conn:
        conn.begin()
        stored = store_orders(conn, fetched, "searchOrders", clock.now(), context.run_id, quarantine_date=start.date(), salt=warehouse.pii_salt)
        conn.commit()
    return {"path": "searchOrders", "orders_fetched": len(fetched), "new_versions": stored.new_versions, "quarantined": stored.quarantined}
