"""Ingest: raw orders and settlements from the Selling Partner API, and the sensors that keep them current."""

import dagster as dg

from .order_assets import raw_orders_asset
from .sensors import order_updates_sensor, settlement_reports_sensor
from .settlement_assets import raw_settlements_asset


def build(partitions: dg.PartitionsDefinition) -> dg.Definitions:
    return dg.Definitions(
        assets=[raw_orders_asset(partitions), raw_settlements_asset(partitions)],
        sensors=[order_updates_sensor, settlement_reports_sensor],
    )
