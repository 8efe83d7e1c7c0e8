"""The daily refresh: every asset for yesterday's partition, at an hour users pick in their timezone."""

from datetime import datetime, timedelta, timezone

import dagster as dg

from ..partitions import open_days


def daily_refresh_job(partitions: dg.PartitionsDefinition):
    return dg.define_asset_job(
        "daily_refresh",
        selection=dg.AssetSelection.all(),
        partitions_def=partitions,
        description="Fetches, models and pushes to Zoho one day of Amazon orders and settlements.",
    )


def build_daily_schedule(partitions: dg.TimeWindowPartitionsDefinition, hour: int, timezone_name: str) -> dg.ScheduleDefinition:
    """The daily refresh at `hour` o'clock in `timezone_name` (clock changes included: Dagster's cron runs once per
    local day), always for the last complete UTC day."""

    @dg.schedule(
        name="daily_refresh_schedule",
        job=daily_refresh_job(partitions),
        cron_schedule=f"0 {hour} * * *",
        execution_timezone=timezone_name,
        # RUNNING by default: a fresh `make dev` keeps the warehouse current without a click.
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def daily_refresh_schedule(context: dg.ScheduleEvaluationContext):
        """Every asset for the last complete UTC day, at AMAZON_ZOHO_SCHEDULE_HOUR in AMAZON_ZOHO_SCHEDULE_TIMEZONE."""
        return daily_requests(partitions, context.scheduled_execution_time)

    return daily_refresh_schedule


def daily_requests(partitions: dg.TimeWindowPartitionsDefinition, tick: datetime) -> list[dg.RunRequest] | dg.SkipReason:
    """The last complete UTC day, and the one before it under the same run key it had then.

    A local hour is not a fixed UTC hour: at 01:00 in Berlin the tick falls at 00:00 UTC in winter and 23:00 UTC
    in summer, so across October's clock change two ticks are 25 hours apart and the "last complete UTC day" jumps
    a day (in March, one day comes twice). Naming the day before too closes that gap; on every other day that
    day's run key has already run and Dagster skips it, so each UTC day still runs exactly once.
    """
    last = (tick.astimezone(timezone.utc) - timedelta(days=1)).date()
    bounds = open_days(partitions, tick)
    days = [d.isoformat() for d in (last - timedelta(days=1), last) if bounds and bounds[0] <= d <= bounds[1]]
    if not days:
        return dg.SkipReason(f"{last} is before AMAZON_ZOHO_START_DATE")
    return [dg.RunRequest(run_key=day, partition_key=day) for day in days]

