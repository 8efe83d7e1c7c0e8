"""The one place the project's Definitions are assembled: amazon → core → zoho, with their resources."""

import dagster as dg

from .amazon.order_assets import raw_orders
from .amazon.settlement_assets import raw_settlements
from .core.orders_assets import core_customers_products, core_orders
from .core.settlement_assets import core_settlements
from .ops.schedules import daily_refresh_job, daily_refresh_schedule
from .resources import build_resources
from .settings import load
from .zoho.assets import zoho_contacts, zoho_products, zoho_sales_orders

defs = dg.Definitions(
    assets=[
        raw_orders,
        raw_settlements,
        core_orders,
        core_customers_products,
        core_settlements,
        zoho_products,
        zoho_contacts,
        zoho_sales_orders,
    ],
    jobs=[daily_refresh_job],
    schedules=[daily_refresh_schedule],
    resources=build_resources(load()),
    # One process per run: every asset shares the process-wide SP-API token buckets (amazon/pacing.py),
    # and DuckDB sees one writer.
    executor=dg.in_process_executor,
)
