"""The daily refresh: every asset for yesterday's partition, at an hour users pick in their timezone."""

from datetime import timedelta, timezone

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


@dg.schedule(
    job=daily_refresh_job,
    cron_schedule=f"0 {_settings.schedule_hour} * * *",
    execution_timezone=_settings.schedule_timezone,
    # RUNNING by default: a fresh `make dev` keeps the warehouse current without a click.
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_refresh_schedule(context: dg.ScheduleEvaluationContext):
    """Every asset for the last complete UTC day, at AMAZON_ZOHO_SCHEDULE_HOUR in AMAZON_ZOHO_SCHEDULE_TIMEZONE."""
    day = (context.scheduled_execution_time.astimezone(timezone.utc) - timedelta(days=1)).date().isoformat()
    if day not in daily_partitions.get_partition_keys(dynamic_partitions_store=None, current_time=context.scheduled_execution_time):
        return dg.SkipReason(f"{day} is before AMAZON_ZOHO_START_DATE")
    return dg.RunRequest(run_key=day, partition_key=day)
