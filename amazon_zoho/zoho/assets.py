"""Zoho CRM push: products and contacts first, then sales orders whose line items point at them."""


import dagster as dg

from ..partitions import daily_partitions
from ..warehouse import WarehouseResource, sql
from .resource import ZohoCrmResource
from .setup import ensure_fields
from .sync import sync_module

_COMMON = dict(
    group_name="zoho",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"zoho", "duckdb"},
    owners=["team:sales-ops"],
    pool="duckdb_writer",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL),
)


@dg.asset(key=["zoho", "products"], deps=[["core", "products"]], **_COMMON)
def zoho_products(context: dg.AssetExecutionContext, zoho: ZohoCrmResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Upserts every SKU sold in the window into Zoho CRM Products, matched on Amazon_SKU."""
    return _push(context, zoho, warehouse, "Products", "products_payload.sql", "Amazon_SKU")


@dg.asset(key=["zoho", "contacts"], deps=[["core", "customers"], ["core", "orders"]], **_COMMON)
def zoho_contacts(context: dg.AssetExecutionContext, zoho: ZohoCrmResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Upserts the window's buyers into Zoho CRM Contacts, matched on the pseudonymous Amazon_Buyer_Key."""
    return _push(context, zoho, warehouse, "Contacts", "contacts_payload.sql", "Amazon_Buyer_Key")


@dg.asset(
    key=["zoho", "sales_orders"],
    deps=[["zoho", "products"], ["zoho", "contacts"], ["core", "order_lines"]],
    **_COMMON,
)
def zoho_sales_orders(context: dg.AssetExecutionContext, zoho: ZohoCrmResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Upserts the window's orders into Zoho CRM Sales_Orders with Ordered_Items, matched on Amazon_Order_ID."""
    return _push(context, zoho, warehouse, "Sales_Orders", "sales_orders_payload.sql", "Amazon_Order_ID")


def _push(context: dg.AssetExecutionContext, zoho: ZohoCrmResource, warehouse: WarehouseResource, module: str, payload_file: str, unique_field: str) -> dg.MaterializeResult:
    window = context.partition_time_window
    params = {"start": window.start.date(), "end": window.end.date()}
    client = zoho.client()
    created_fields = ensure_fields(client, module, create=zoho.auto_setup)
    if created_fields:
        context.log.info(f"created Zoho custom fields on {module}: {created_fields}")
    with warehouse.connect() as conn:
        outcome = sync_module(conn, client, module, sql(__file__, payload_file), params, unique_field)
        partition_range = f"{window.start.date()}..{window.end.date()}"
        conn.execute(
            "INSERT OR REPLACE INTO ops.sync_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
            [context.run_id, partition_range, module, outcome.inserted, outcome.updated, outcome.unchanged, outcome.failed, outcome.credits],
        )
        dead_letters = conn.execute("SELECT count(*) FROM ops.zoho_dead_letters WHERE module = ?", [module]).fetchone()[0]
    if outcome.failed:
        context.log.warning(f"{outcome.failed} {module} records failed ({outcome.errors}); see ops.zoho_dead_letters")
    return dg.MaterializeResult(
        metadata={
            **outcome.as_metadata(),
            "dead_letters_total": dead_letters,
            "dagster/row_count": outcome.inserted + outcome.updated + outcome.unchanged,
        }
    )
