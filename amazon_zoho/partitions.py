"""The one daily partitioning shared by every asset: a partition is a UTC calendar day of purchases.

Today's partition exists while the day is still open (end_offset=1, issue #15): the intraday sensor
(amazon/intraday.py) brings today's orders to Zoho through it within minutes. The daily run still finalizes
*complete* days only (yesterday), and everything that means "a day Amazon is done with" asks `open_days` (the complete days that
have a partition); `partition_days` includes today's.
"""

from datetime import date, datetime, timedelta
from functools import cache

import dagster as dg

from . import clock

# Partitions past the last complete day: today's, which fills up as the day goes (Dagster's end_offset).
OPEN_DAYS = 1


@cache
def daily_partitions(start_date: str) -> dg.DailyPartitionsDefinition:
    """UTC days from `start_date` (Settings.start_date) up to today's still-open one; one object per start date,
    shared by every asset."""
    return dg.DailyPartitionsDefinition(start_date=start_date, timezone="UTC", end_offset=OPEN_DAYS)


def open_days(partitions: dg.TimeWindowPartitionsDefinition, at: datetime | None = None) -> tuple[date, date] | None:
    """The first and last *complete* day that has a partition at `at` (the clock's now by default), or None before
    the start date ends. A day is complete at 00:00 UTC the next day: the partitions Dagster lists, asked of Dagster
    rather than re-derived, minus the still-open ones at the end (`end_offset`: today's). The schedule, the
    settlement and inbox sensors and the settlement gap check all mean these days."""
    bounds = partition_days(partitions, at)
    if bounds is None:
        return None
    first, last = bounds[0], bounds[1] - timedelta(days=getattr(partitions, "end_offset", 0))
    return (first, last) if last >= first else None


def partition_days(partitions: dg.TimeWindowPartitionsDefinition, at: datetime | None = None) -> tuple[date, date] | None:
    """The first and last day that have a partition at `at`, today's open one included."""
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
