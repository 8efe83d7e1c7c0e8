"""The daily refresh: every asset for each UTC day completed since the last one requested, at an hour users
pick in their timezone, each run with a time limit."""

from datetime import date, datetime, timedelta

import dagster as dg

from ..partitions import open_days
from ..settings import DEFAULT_MAX_RUN_HOURS

SCHEDULE_NAME = "daily_refresh_schedule"
# Dagster's run-timeout tag, in seconds: the run-monitoring daemon (dagster.yaml `run_monitoring: enabled`)
# terminates a run that has been STARTED longer (https://docs.dagster.io/deployment/execution/job-timeouts).
MAX_RUNTIME_TAG = "dagster/max_runtime"
# Which seller's schedule launched a run: two sellers' locations on one instance both name theirs SCHEDULE_NAME.
SCOPE_TAG = "amazon_zoho/schedule_scope"
PARTITION_TAG = "dagster/partition"
SCHEDULE_TAG = "dagster/schedule_name"


def run_limit_tags(max_run_hours: float = DEFAULT_MAX_RUN_HOURS) -> dict[str, str]:
    return {MAX_RUNTIME_TAG: str(int(max_run_hours * 3600))}


def daily_refresh_job(partitions: dg.PartitionsDefinition, max_run_hours: float = DEFAULT_MAX_RUN_HOURS):
    return dg.define_asset_job(
        "daily_refresh",
        selection=dg.AssetSelection.all(),
        partitions_def=partitions,
        description="Fetches, models and pushes to Zoho one day of Amazon orders and settlements.",
        # A run that pages for ever or hangs on a socket holds the one warehouse-writer slot: end it.
        tags=run_limit_tags(max_run_hours),
    )


def build_daily_schedule(
    partitions: dg.TimeWindowPartitionsDefinition, hour: int, timezone_name: str,
    max_run_hours: float = DEFAULT_MAX_RUN_HOURS, scope: str = "default",
) -> dg.ScheduleDefinition:
    """The daily refresh at `hour` o'clock in `timezone_name`, for every complete UTC day since the last one
    this schedule requested (`scope` tells sellers sharing an instance apart)."""

    @dg.schedule(
        name=SCHEDULE_NAME,
        job=daily_refresh_job(partitions, max_run_hours),
        cron_schedule=f"0 {hour} * * *",
        execution_timezone=timezone_name,
        description=f"Daily at {hour:02d}:00 {timezone_name}: one run of every asset for each complete UTC day not yet "
        "requested (yesterday, and any day a clock change or a stopped daemon skipped).",
        # RUNNING by default: a fresh `make dev` keeps the warehouse current without a click.
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def daily_refresh_schedule(context: dg.ScheduleEvaluationContext):
        """Every complete UTC day not yet requested, at AMAZON_ZOHO_SCHEDULE_HOUR in AMAZON_ZOHO_SCHEDULE_TIMEZONE."""
        last = last_requested_day(context.instance, scope)
        return daily_requests(partitions, context.scheduled_execution_time, last, {SCOPE_TAG: scope, **run_limit_tags(max_run_hours)})

    return daily_refresh_schedule


def last_requested_day(instance: dg.DagsterInstance, scope: str = "default") -> date | None:
    """The newest UTC day this schedule has launched a run for, read from the instance's runs (they survive
    daemon restarts and redeploys; a cursor of our own could disagree with them)."""
    records = instance.get_run_records(dg.RunsFilter(tags={SCHEDULE_TAG: SCHEDULE_NAME}), limit=50)
    # Runs from before the scope tag existed were the one seller's: they count as "default".
    days = [r.dagster_run.tags.get(PARTITION_TAG) for r in records if r.dagster_run.tags.get(SCOPE_TAG, "default") == scope]
    parsed = [date.fromisoformat(d) for d in days if d]
    return max(parsed) if parsed else None


def daily_requests(
    partitions: dg.TimeWindowPartitionsDefinition, tick: datetime, last_requested: date | None = None, tags: dict | None = None
) -> list[dg.RunRequest] | dg.SkipReason:
    """Each complete UTC day after `last_requested`, oldest first (only the newest when nothing was requested yet).

    A local hour is not a fixed UTC hour: at 00:00 in London the tick falls at 00:00 UTC in winter and 23:00
    UTC in summer, so across October's clock change two ticks are 25 hours apart and the "last complete UTC
    day" jumps a day (in March it stays put for a tick). Counting from the last day requested, not from the
    tick, requests the jumped day too, and a day the daemon missed (it was down) as well. The run key is the
    day, so Dagster never launches one day twice whatever two ticks compute.
    """
    bounds = open_days(partitions, tick)
    if not bounds:
        return dg.SkipReason(f"no complete UTC day at {tick.isoformat()} is on or after AMAZON_ZOHO_START_DATE")
    first_open, newest = bounds
    first = max(first_open, last_requested + timedelta(days=1)) if last_requested else newest
    if first > newest:
        return dg.SkipReason(f"every complete UTC day up to {newest} was requested already (last: {last_requested})")
    days = [(first + timedelta(days=n)).isoformat() for n in range((newest - first).days + 1)]
    return [dg.RunRequest(run_key=day, partition_key=day, tags=dict(tags or {})) for day in days]
