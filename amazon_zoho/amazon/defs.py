"""Ingest: raw orders and settlements from the Selling Partner API, the sensors that keep them current, and the
inbox that imports report files downloaded by hand from Seller Central."""

import dagster as dg

from ..settings import DEFAULT_INBOX_DIR
from .inbox_sensor import build_inbox_sensor, rebuild_job
from .intraday import order_change_notifications
from .order_assets import raw_orders_asset
from .sensors import order_updates_sensor, settlement_reports_sensor
from .settlement_assets import raw_settlements_asset


def build(partitions: dg.TimeWindowPartitionsDefinition, inbox_dir: str = DEFAULT_INBOX_DIR) -> dg.Definitions:
    rebuild = rebuild_job(partitions)
    return dg.Definitions(
        assets=[raw_orders_asset(partitions), raw_settlements_asset(partitions)],
        sensors=[order_updates_sensor, settlement_reports_sensor, order_change_notifications, build_inbox_sensor(inbox_dir, partitions, rebuild)],
        jobs=[rebuild],
    )
