"""Ingest: raw orders and settlements from the Selling Partner API."""

import dagster as dg

from .order_assets import raw_orders
from .settlement_assets import raw_settlements

defs = dg.Definitions(assets=[raw_orders, raw_settlements])
