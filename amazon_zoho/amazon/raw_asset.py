"""What every raw Amazon asset shares: daily partitions a backfill fills in one run, one DuckDB writer at a
time, and retries with jitter for the failures a second try fixes (a throttled burst, a lock)."""

import dagster as dg

from ..partitions import daily_partitions

RAW_ASSET = dict(
    group_name="amazon_raw",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"amazon", "duckdb"},
    owners=["team:data"],
    pool="duckdb_writer",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL),
)
