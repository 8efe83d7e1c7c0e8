"""Metadata that is true of every partition Dagster attaches it to.

A run over a range of days (a backfill, `make run`) ends each asset with one MaterializeResult, and Dagster
copies its metadata onto every partition of the range: a 30-day run's "inserted 2760" would read as each day's.
Dagster has no per-partition result inside one run (dagster-io/dagster#21072, open), so the figures say what
they are about instead:
- a run of one day reports the day's own figures under their plain names;
- a run of several days reports them as `range_<name>`, with `range` naming the days, and `rows_per_day`
  giving each day's own count where the asset can tell;
- `dagster/row_count`, which the UI shows as the asset's row count, is always the whole table's.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

RANGE_PREFIX = "range_"


def window_figures(
    context: dg.AssetExecutionContext,
    figures: Mapping[str, object],
    *,
    table_rows: int | None = None,
    rows_per_day: Mapping[str, int] | None = None,
) -> dict[str, object]:
    keys = _partition_keys(context)
    if len(keys) <= 1:
        metadata: dict[str, object] = dict(figures)
        if keys:
            metadata["day"] = keys[0]
    else:
        metadata = {f"{RANGE_PREFIX}{name}": value for name, value in figures.items()}
        metadata["range"] = f"{keys[0]}..{keys[-1]} ({len(keys)} days, one run: figures are the range's)"
        if rows_per_day is not None:
            metadata["rows_per_day"] = dg.MetadataValue.md(
                "| day | rows |\n|---|---|\n" + "\n".join(f"| {day} | {rows_per_day.get(day, 0)} |" for day in keys)
            )
    if table_rows is not None:
        metadata["dagster/row_count"] = table_rows
    return metadata


def _partition_keys(context: dg.AssetExecutionContext) -> list[str]:
    if not (context.has_partition_key or context.has_partition_key_range):
        return []
    return list(context.partition_keys)


def rows_per_day(conn, relation: str, day_column: str, start, end, count: str = "count(*)") -> dict[str, int]:
    """Rows of `relation` per day of [start, end), keyed as partition keys are (YYYY-MM-DD)."""
    rows = conn.execute(
        f"SELECT CAST({day_column} AS DATE), {count} FROM {relation} WHERE {day_column} >= ? AND {day_column} < ? GROUP BY 1",
        [start, end],
    ).fetchall()
    return {day.isoformat(): n for day, n in rows}


def table_rows(conn, relation: str, count: str = "count(*)") -> int:
    return conn.execute(f"SELECT {count} FROM {relation}").fetchone()[0]
