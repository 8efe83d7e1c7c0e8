"""Canonical tables built by SQL from raw."""

import dagster as dg

from .orders_assets import core_customers_products, core_orders
from .settlement_assets import core_settlements

defs = dg.Definitions(assets=[core_orders, core_customers_products, core_settlements])
