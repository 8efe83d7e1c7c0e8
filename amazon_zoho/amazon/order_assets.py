"""Raw orders: every order created in the partition window, as Amazon's searchOrders returned it."""


from datetime import datetime, timezone

import dagster as dg
import pandas as pd

from ..partitions import daily_partitions
from ..warehouse import WarehouseResource, run_sql
from . import pii_split
from .orders import search_orders
from .resource import AmazonSellerResource


@dg.asset(
    key=["amazon_raw", "raw_orders"],
    group_name="amazon_raw",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"amazon", "duckdb"},
    owners=["team:data"],
    pool="duckdb_writer",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL),
)
def raw_orders(context: dg.AssetExecutionContext, amazon: AmazonSellerResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Orders with their items from Amazon's Orders API, one version per change, buyer PII split off."""
    window = context.partition_time_window
    client = amazon.client()
    calls_before = sum(client.calls.values())
    fetched_at = datetime.now(timezone.utc)
    rows, contacts = [], []
    for fetched in search_orders(client, amazon.marketplace_ids, window.start, window.end):
        order = _loads(fetched.payload)
        clean, contact = pii_split.split(order) if order is not None else ({}, None)
        rows.append(
            {
                "order_id": fetched.order_id,
                "payload": pii_split.dumps(clean) if order is not None else fetched.payload,
                "request_id": fetched.request_id,
                "source": "searchOrders",
                "fetched_at": fetched_at,
            }
        )
        if contact:
            contacts.append({**contact, "fetched_at": fetched_at})
    incoming = pd.DataFrame(rows, columns=["order_id", "payload", "request_id", "source", "fetched_at"])
    incoming_contacts = pd.DataFrame(contacts, columns=[*_CONTACT_COLUMNS, "fetched_at"])
    with warehouse.connect() as conn:
        conn.begin()
        conn.register("incoming", incoming)
        conn.register("incoming_contacts", incoming_contacts)
        params = {"window_start": window.start.date(), "window_end": window.end.date()}
        before = conn.execute("SELECT count(*) FROM raw.order_versions").fetchone()[0]
        run_sql(conn, __file__, "insert_order_versions.sql")
        new_versions = conn.execute("SELECT count(*) FROM raw.order_versions").fetchone()[0] - before
        conn.execute(
            "DELETE FROM ops.quarantine WHERE source = 'raw_orders' AND partition_date >= $window_start AND partition_date < $window_end",
            params,
        )
        run_sql(conn, __file__, "quarantine_order_versions.sql", {"window_start": window.start.date(), "run_id": context.run_id})
        run_sql(conn, __file__, "upsert_order_contacts.sql")
        quarantined = conn.execute(
            "SELECT count(*) FROM ops.quarantine WHERE source = 'raw_orders' AND partition_date >= $window_start AND partition_date < $window_end",
            params,
        ).fetchone()[0]
        conn.commit()
    if quarantined:
        context.log.warning(f"{quarantined} orders in {window.start.date()}..{window.end.date()} quarantined; see ops.quarantine")
    return dg.MaterializeResult(
        metadata={
            "orders_fetched": len(rows),
            "new_versions": new_versions,
            "quarantined": quarantined,
            "amazon_calls": sum(client.calls.values()) - calls_before,
            "window": f"{window.start.isoformat()} .. {window.end.isoformat()}",
            "dagster/row_count": len(rows),
        }
    )


_CONTACT_COLUMNS = [
    "order_id", "buyer_key", "buyer_name", "buyer_email", "buyer_company", "recipient_name", "address_line1",
    "address_line2", "city", "state", "postal_code", "country_code", "phone",
]


def _loads(payload: str) -> dict | None:
    import json

    try:
        value = json.loads(payload)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
