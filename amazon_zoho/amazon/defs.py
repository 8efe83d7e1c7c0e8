"""Ingest: raw orders and settlements from the Selling Partner API, and the sensors that keep them current."""

import dagster as dg

from .order_assets import raw_orders
from .sensors import order_updates_sensor, settlement_reports_sensor
from .settlement_assets import raw_settlements

defs = dg.Definitions(assets=[raw_orders, raw_settlements], sensors=[order_updates_sensor, settlement_reports_sensor])
