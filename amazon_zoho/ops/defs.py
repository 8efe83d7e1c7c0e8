"""Operations: the daily schedule, the analyst copy, the buyer PII retention purge and failure notifications."""

from collections.abc import Sequence

import dagster as dg

from ..settings import Settings
from .analyst_copy import analyst_copy_asset
from .failure_sensor import sync_failure_notifier
from .pii_retention import pii_retention_asset
from .schedules import build_daily_schedule


def build(partitions: dg.TimeWindowPartitionsDefinition, settings: Settings, copied: Sequence[dg.AssetKey]) -> dg.Definitions:
    """`copied`: every asset of the other layers, which the analyst copy waits for."""
    return dg.Definitions(
        assets=[analyst_copy_asset(partitions, copied), pii_retention_asset(partitions)],
        schedules=[build_daily_schedule(partitions, settings.schedule_hour, settings.schedule_timezone, max_run_hours=settings.max_run_hours,
                                        scope=settings.prefix or "default")],
        sensors=[sync_failure_notifier],
    )
