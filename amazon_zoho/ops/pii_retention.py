"""Buyer PII lifecycle: pii.order_contacts rows are deleted a set number of days after delivery.

Amazon's Data Protection Policy allows keeping buyer PII "no longer than 30 days after order delivery"
(README "For analysts", ../shared/reference/API-FACTS.md §12b), so 30 is the default;
AMAZON_ZOHO_PII_RETENTION_DAYS (WarehouseResource.pii_retention_days) shortens (or, where a legal duty
requires, lengthens) it. The asset runs in every daily run, after the Zoho contacts and sales orders syncs that read PII,
and purges whatever has expired by now, in the warehouse and in the Zoho contacts it was pushed to
(contacts and sales orders: zoho_retention.py).
"""

import dagster as dg

from ..partitions import daily_writer
from ..warehouse import WarehouseResource
from ..warehouse.figures import window_figures
from ..zoho.resource import ZohoCrmResource
from .steps import PII_RETENTION
from .zoho_retention import scrub_expired_contacts, scrub_expired_sales_orders


def pii_retention_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    return dg.asset(
        key=["ops", "pii_retention"],
        group_name="ops",
        # Before the pushes that read pii (contacts, sales orders' addresses; zoho/assets.py): details already past the
        # retention are deleted before a push could send them, so a backfill of old days never writes an address to
        # Zoho only to pay for clearing it again. What earlier runs sent and has expired since is cleared here.
        deps=[["amazon_raw", "raw_orders"], ["core", "orders"]],
        **daily_writer(partitions),
        kinds={"duckdb"},
        owners=["team:data"],
    )(pii_retention)


def pii_retention(context: dg.AssetExecutionContext, warehouse: WarehouseResource, zoho: ZohoCrmResource) -> dg.MaterializeResult:
    """Deletes buyer PII AMAZON_ZOHO_PII_RETENTION_DAYS (default 30) after delivery, per Amazon's Data Protection Policy,
    and clears it from the Zoho contacts and sales orders it was pushed to."""
    days = warehouse.pii_retention_days
    with warehouse.connect() as conn:
        conn.begin()
        PII_RETENTION.run(conn, {"days": days})
        conn.commit()
        deleted = conn.execute("SELECT count(*) FROM pii_expired").fetchone()[0]
        remaining, waiting, oldest = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE order_id IN (SELECT order_id FROM pii_clock WHERE clock_start IS NULL)), "
            "min(fetched_at) FROM pii.order_contacts"
        ).fetchone()
        client, mapping, budget = zoho.client(), zoho.mapping(), zoho.budget()  # one budget: the orders' scrub sees the contacts' calls
        in_zoho = scrub_expired_contacts(conn, client, mapping, warehouse.pii_salt, context.run_id, budget)
        orders = scrub_expired_sales_orders(conn, client, mapping, context.run_id, budget)
    context.log.info(f"deleted PII of {deleted} orders (retention {days} days after delivery); {remaining} orders keep theirs; "
                     f"cleared {', '.join(in_zoho.fields)} of {in_zoho.records} Zoho contacts left without buyer details, "
                     f"{', '.join(orders.fields)} of {orders.records} Zoho sales orders")
    for what, cleared in (("contacts", in_zoho), ("sales orders", orders)):
        for note in cleared.notes:
            context.log.warning(note)
        if cleared.errors:
            context.log.warning(f"Zoho refused to clear {len(cleared.errors)} {what} (retried next run): {cleared.errors[:5]}")
    return dg.MaterializeResult(
        metadata={
            # What this run did, once for the whole warehouse (not per day of its range)...
            **window_figures(context, {
                "deleted_orders": deleted,
                "zoho_contacts_cleared": in_zoho.records,
                "zoho_contacts_not_cleared": len(in_zoho.errors),
                "zoho_contacts_deferred": in_zoho.deferred,
                "zoho_sales_orders_cleared": orders.records,
                "zoho_sales_orders_not_cleared": len(orders.errors),
                "zoho_sales_orders_deferred": orders.deferred,
            }),
            # ...and the state it left, true of every partition.
            "retention_days": days,
            "remaining_orders": remaining,
            "awaiting_delivery": waiting,
            "oldest_remaining_fetch": str(oldest) if oldest else "none",
        }
    )
