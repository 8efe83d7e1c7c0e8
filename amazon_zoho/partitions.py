"""The one daily partitioning shared by every asset: a partition is a UTC calendar day of purchases."""

from datetime import date, datetime, timedelta
from functools import cache

import dagster as dg

from . import clock


@cache
def daily_partitions(start_date: str) -> dg.DailyPartitionsDefinition:
    """UTC days from `start_date` (Settings.start_date); one object per start date, shared by every asset."""
    return dg.DailyPartitionsDefinition(start_date=start_date, timezone="UTC")


def open_days(partitions: dg.TimeWindowPartitionsDefinition, at: datetime | None = None) -> tuple[date, date] | None:
    """The first and last day that have a partition at `at` (the clock's now by default), or None before the
    start date. Today's partition opens when the day ends, at 00:00 UTC tomorrow: Dagster's own rule, asked of
    Dagster rather than re-derived."""
    with dg.partition_loading_context(effective_dt=at or clock.now()):
        first, last = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    return (date.fromisoformat(first), date.fromisoformat(last)) if first and last else None


def daily_writer(partitions: dg.PartitionsDefinition, retry_delay: int | None = None) -> dict:
    """Decorator arguments of every asset that writes a window into the warehouse: daily partitions a
    backfill fills in one run, one DuckDB writer at a time, and, for assets that call an API, retries
    with jitter for what a second try fixes (a throttled burst, a lock)."""
    spec = dict(partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run(), pool="duckdb_writer")
    if retry_delay is not None:
        spec["retry_policy"] = dg.RetryPolicy(max_retries=2, delay=retry_delay, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL)
    return spec


def day_range(start: date, end: date) -> str:
    """[start, end) as people read days, inclusive: `2026-11-24..2026-11-30`, or one day alone (issue #16: a window
    printed with its exclusive end reads as a day too many)."""
    last = end - timedelta(days=1)
    return f"{start}..{last}" if last > start else f"{start}"
