"""Canonical orders and order lines, built by SQL from the latest raw version of each order."""


import dagster as dg

from ..partitions import daily_partitions
from ..warehouse import WarehouseResource, run_sql
from .preview import markdown_preview


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["core", "orders"], deps=[["amazon_raw", "raw_orders"]], description="One row per order, latest version wins, money as DECIMAL.", kinds={"duckdb"}, owners=["team:data"]),
        dg.AssetSpec(["core", "order_lines"], deps=[["amazon_raw", "raw_orders"]], description="One row per order item: SKU, ASIN, quantities and amounts.", kinds={"duckdb"}, owners=["team:data"]),
    ],
    group_name="core",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb_writer",
)
def core_orders(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Builds core.orders and core.order_lines for the window; rejects go to ops.quarantine."""
    window = context.partition_time_window
    params = {"start": window.start.date(), "end": window.end.date()}
    with warehouse.connect() as conn:
        conn.begin()
        run_sql(conn, __file__, "order_window.sql", params)
        run_sql(conn, __file__, "orders.sql", params)
        run_sql(conn, __file__, "order_lines.sql", params)
        run_sql(conn, __file__, "quarantine_orders.sql", {**params, "run_id": context.run_id})
        conn.commit()
        orders = conn.execute("SELECT count(*) FROM core.orders WHERE purchase_date >= $start AND purchase_date < $end", params).fetchone()[0]
        lines = conn.execute("SELECT count(*) FROM core.order_lines WHERE purchase_date >= $start AND purchase_date < $end", params).fetchone()[0]
        rejected = conn.execute("SELECT count(*) FROM order_rejects").fetchone()[0]
        preview = markdown_preview(
            conn,
            "SELECT order_id, marketplace_id, order_status, fulfillment_channel, currency, order_total FROM core.orders "
            "WHERE purchase_date >= $start AND purchase_date < $end ORDER BY purchase_ts LIMIT 5",
            params,
        )
    yield dg.MaterializeResult(
        asset_key=["core", "orders"],
        metadata={"dagster/row_count": orders, "quarantined": rejected, "preview": dg.MetadataValue.md(preview)},
    )
    yield dg.MaterializeResult(asset_key=["core", "order_lines"], metadata={"dagster/row_count": lines})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["core", "customers"], deps=[["core", "orders"]], description="One row per pseudonymous buyer with first and last order.", kinds={"duckdb"}, owners=["team:data"]),
        dg.AssetSpec(["core", "products"], deps=[["core", "order_lines"]], description="SKU to ASIN, title and latest price per marketplace.", kinds={"duckdb"}, owners=["team:data"]),
    ],
    group_name="core",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="duckdb_writer",
)
def core_customers_products(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Rebuilds core.customers and core.products from all canonical orders."""
    with warehouse.connect() as conn:
        conn.begin()
        run_sql(conn, __file__, "customers_products.sql")
        conn.commit()
        customers = conn.execute("SELECT count(*) FROM core.customers").fetchone()[0]
        products = conn.execute("SELECT count(*) FROM core.products").fetchone()[0]
    yield dg.MaterializeResult(asset_key=["core", "customers"], metadata={"dagster/row_count": customers})
    yield dg.MaterializeResult(asset_key=["core", "products"], metadata={"dagster/row_count": products})
