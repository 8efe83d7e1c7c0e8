"""The one daily partitioning shared by every asset: a partition is a UTC calendar day of purchases."""

import dagster as dg

from .settings import load

daily_partitions = dg.DailyPartitionsDefinition(start_date=load().start_date, timezone="UTC")


def daily_writer(retry_delay: int | None = None) -> dict:
    """Decorator arguments of every asset that writes a window into the warehouse: daily partitions a
    backfill fills in one run, one DuckDB writer at a time, and, for assets that call an API, retries
    with jitter for what a second try fixes (a throttled burst, a lock)."""
    spec = dict(partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(), pool="duckdb_writer")
    if retry_delay is not None:
        spec["retry_policy"] = dg.RetryPolicy(max_retries=2, delay=retry_delay, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL)
    return spec
