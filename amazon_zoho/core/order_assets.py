"""Canonical orders and order lines, built by SQL from the latest raw version of each order."""


from datetime import timedelta

import dagster as dg

from ..partitions import daily_writer
from ..warehouse import WarehouseResource
from ..warehouse.checks import Check, results_for, specs
from ..warehouse.docs import spec_docs
from ..warehouse.figures import rows_per_day, table_rows, window_figures
from ..warehouse.keys import resolve
from ..warehouse.preview import markdown_preview
from . import late_days, steps

ORDERS, LINES, CUSTOMERS, PRODUCTS = ("core", "orders"), ("core", "order_lines"), ("core", "customers"), ("core", "products")

# Blocking: these tables feed Zoho, and a failed check keeps this run from pushing them.
ORDER_CHECKS = [
    Check(ORDERS, "unique_key", "order_id is unique.", blocking=True),
    Check(ORDERS, "keys_not_null", "order_id, marketplace_id, purchase_ts, currency and status are set.", blocking=True),
    Check(ORDERS, "total_equals_lines", "order_total = the sum of its lines' parts + delivery tip, to the cent (Amazon's proceeds "
          "semantics: tax added or contained per marketplace and API, amazon/marketplaces.csv; see the SQL).", blocking=True),
    Check(ORDERS, "money_set", "Every order Amazon priced (all but pending and cancelled ones) has its order_total and currency.",
          blocking=True),
    Check(ORDERS, "nothing_quarantined", "Lists the window's orders kept out of core (ops.quarantine) with the reason.",
          severity=dg.AssetCheckSeverity.WARN),
    Check(LINES, "unique_key", "(order_id, order_item_id) is unique.", blocking=True),
    Check(LINES, "keys_not_null", "order_id, order_item_id, sku and currency are set.", blocking=True),
    Check(LINES, "belong_to_orders", "Every line's order is in core.orders, in the same partition.", blocking=True),
    Check(LINES, "no_negative_quantities", "quantity_ordered and quantity_shipped are never negative.", blocking=True),
    Check(LINES, "total_equals_parts", "line_total = item + shipping + gift wrap + COD fee + other + discount (+ tax where added), "
          "to the cent.", blocking=True),
    Check(LINES, "money_set", "Every line of a priced order (all but pending and cancelled ones) has its line_total and currency.",
          blocking=True),
]
DIMENSION_CHECKS = [
    Check(CUSTOMERS, "unique_key", "buyer_key is set and unique.", blocking=True),
    Check(PRODUCTS, "unique_key", "(sku, marketplace_id) is set and unique.", blocking=True),
]


def _spec(key: tuple[str, ...], deps: list, owner: str = "team:data") -> dg.AssetSpec:
    return dg.AssetSpec(list(key), deps=deps, kinds={"duckdb"}, owners=[owner], **spec_docs(*key))


def build(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """core.orders with its lines, then the customers and products they name, over `partitions`."""
    return [
        dg.multi_asset(
            specs=[_spec(ORDERS, [["amazon_raw", "raw_orders"]]), _spec(LINES, [["amazon_raw", "raw_orders"]])],
            check_specs=specs(ORDER_CHECKS),
            group_name="core",
            **daily_writer(partitions),
        )(core_orders),
        dg.multi_asset(
            specs=[_spec(CUSTOMERS, [["core", "orders"]]), _spec(PRODUCTS, [["core", "order_lines"]])],
            check_specs=specs(DIMENSION_CHECKS),
            group_name="core",
            **daily_writer(partitions),
        )(core_customers_products),
    ]


def core_orders(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Builds core.orders and core.order_lines for the window, and every earlier day whose raw versions changed
    since it was built (late_days.py); rejects go to ops.quarantine."""
    window = context.partition_time_window
    params = {"start": window.start.date(), "end": window.end.date()}
    with warehouse.connect() as conn:
        conn.begin()
        late = late_days.late_days(conn, late_days.CORE, params["start"], params["end"], upstream=late_days.RAW)
        rejected = 0
        # The run's own window last: `order_rejects` then holds its rejects, as the checks below read them.
        for start, end in [*late_days.windows(late), (params["start"], params["end"])]:
            for step in steps.BUILD_ORDERS:
                step.run(conn, {"start": start, "end": end, "run_id": context.run_id})
            rejected += conn.execute("SELECT count(*) FROM order_rejects").fetchone()[0]
        conn.commit()
        if late:
            context.log.info(f"also rebuilt {len(late)} earlier days whose raw orders changed since: {', '.join(map(str, late))}")
        orders = conn.execute("SELECT count(*) FROM core.orders WHERE purchase_date >= $start AND purchase_date < $end", params).fetchone()[0]
        lines = conn.execute("SELECT count(*) FROM core.order_lines WHERE purchase_date >= $start AND purchase_date < $end", params).fetchone()[0]
        preview = markdown_preview(
            conn,
            "SELECT order_id, marketplace_id, status, fulfillment_channel, currency, order_total FROM core.orders "
            "WHERE purchase_date >= $start AND purchase_date < $end ORDER BY purchase_ts LIMIT 5",
            params,
        )
        # Checked over everything built: the window and the late days (and the days between, unchanged).
        checked = {"start": min([params["start"], *late]), "end": max([params["end"], *(d + timedelta(days=1) for d in late)])}
        order_checks = results_for(context, conn, __file__, ORDER_CHECKS, ORDERS, checked)
        line_checks = results_for(context, conn, __file__, ORDER_CHECKS, LINES, checked)
        # The ledger says "built, and passed": a day whose blocking checks failed stays late, so the next run builds and
        # checks it again instead of the marts and Zoho taking it as done (they follow this ledger, not the checks).
        blocking = {c.name for c in ORDER_CHECKS if c.blocking}
        if not any(r.check_name in blocking and not r.passed for r in [*order_checks, *line_checks]):
            conn.begin()
            late_days.record(conn, late_days.CORE, [*late, *late_days.days_of(params["start"], params["end"])], context.run_id,
                             upstream=late_days.RAW)
            conn.commit()
        tables = {t: table_rows(conn, f"core.{t}") for t in ("orders", "order_lines")}
        per_day = {t: rows_per_day(conn, f"core.{t}", "purchase_date", params["start"], params["end"]) for t in tables}
    late_meta = {"late_days_rebuilt": dg.MetadataValue.text(", ".join(map(str, late)) or "none")}
    yield dg.MaterializeResult(
        asset_key=resolve(context, ORDERS),
        metadata=window_figures(context, {"orders": orders, "quarantined": rejected, **late_meta, "preview": dg.MetadataValue.md(preview)},
                                table_rows=tables["orders"], rows_per_day=per_day["orders"]),
        check_results=order_checks,
    )
    yield dg.MaterializeResult(
        asset_key=resolve(context, LINES),
        metadata=window_figures(context, {"lines": lines, **late_meta}, table_rows=tables["order_lines"], rows_per_day=per_day["order_lines"]),
        check_results=line_checks,
    )


def core_customers_products(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Rebuilds core.customers and core.products from all canonical orders."""
    with warehouse.connect() as conn:
        conn.begin()
        steps.CUSTOMERS_PRODUCTS.run(conn)
        conn.commit()
        customers = conn.execute("SELECT count(*) FROM core.customers").fetchone()[0]
        products = conn.execute("SELECT count(*) FROM core.products").fetchone()[0]
        customer_checks = results_for(context, conn, __file__, DIMENSION_CHECKS, CUSTOMERS, {})
        product_checks = results_for(context, conn, __file__, DIMENSION_CHECKS, PRODUCTS, {})
    # Whole-table rebuilds: every figure is the table's, true of whichever partition Dagster attaches it to.
    yield dg.MaterializeResult(asset_key=resolve(context, CUSTOMERS), metadata=window_figures(context, {}, table_rows=customers),
                               check_results=customer_checks)
    yield dg.MaterializeResult(asset_key=resolve(context, PRODUCTS), metadata=window_figures(context, {}, table_rows=products),
                               check_results=product_checks)
