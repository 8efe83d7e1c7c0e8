"""The daily refresh: every asset for yesterday's partition, after Amazon's data has settled."""

import dagster as dg

from ..partitions import daily_partitions
from ..settings import load

_settings = load()

daily_refresh_job = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Fetches, models and pushes to Zoho one day of Amazon orders and settlements.",
)

daily_refresh_schedule = dg.build_schedule_from_partitioned_job(
    daily_refresh_job,
    hour_of_day=_settings.schedule_hour,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
