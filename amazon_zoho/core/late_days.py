"""Late order changes reach core, marts and Zoho in the daily run, whether the order-updates sensor runs or not.

The daily run's lookback (amazon/order_updates.py) stores new versions of orders bought on earlier days: orders
created in a day's last minutes (Amazon shows them two minutes late, after that day's run) and every status change
since. The sensor asks for runs over those days; without it (off, paused, failing) nothing would. So each
order-path asset keeps a ledger, ops.order_day_builds: per purchase day it built, how fresh its source was then.
Its next partition run, whichever window, also rebuilds every day it built before whose source moved on since:
core_orders against raw.order_versions, the marts and Zoho pushes against core_orders' own ledger (they read core,
so they follow core, never raw directly). With the sensor running its runs cover those days first, and the daily
run finds nothing late: the two never do the work twice.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from . import steps

RAW = "raw"
CORE = "core_orders"
# The last push of an orders run (zoho/assets.py records consumer f"zoho.{module}"; Sales_Orders is MODULE_ORDER's last):
# a day it built from raw as it stands now needs no other run.
LAST_ZOHO_PUSH = "zoho.Sales_Orders"


def late_days(conn: duckdb.DuckDBPyConnection, consumer: str, start: date, end: date, upstream: str = CORE) -> list[date]:
    """Days outside [start, end) that `consumer` built before and whose `upstream` moved on since, oldest first."""
    params = {"consumer": consumer, "upstream": upstream, "start": start, "end": end}
    steps.DAY_SOURCES.run(conn)
    return [d for (d,) in steps.LATE_DAYS.rows(conn, params)]


def behind_zoho(conn: duckdb.DuckDBPyConnection, consumer: str, first: date, last: date, never_pushed_from: date) -> list[tuple[date, object]]:
    """(day, raw fetched through) for days in [first, last] whose raw orders moved past what `consumer` (a Zoho push)
    was built from; a day it never built only from `never_pushed_from` on (amazon/intraday.py)."""
    steps.DAY_SOURCES.run(conn)
    params = {"consumer": consumer, "first": first, "last": last, "never_pushed_from": never_pushed_from}
    return [(d, through) for d, through in steps.DAYS_BEHIND_ZOHO.rows(conn, params)]


def windows(days: list[date]) -> list[tuple[date, date]]:
    """Days -> [start, end) windows, consecutive days in one."""
    spans: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if spans and spans[-1][1] == day:
            spans[-1] = (spans[-1][0], day + timedelta(days=1))
        else:
            spans.append((day, day + timedelta(days=1)))
    return spans


def record(conn: duckdb.DuckDBPyConnection, consumer: str, days: list[date], run_id: str | None, upstream: str = CORE) -> None:
    """`consumer` built `days` now, from its upstream as it stands (call inside the build's transaction)."""
    steps.DAY_SOURCES.run(conn)
    steps.RECORD_DAY_BUILDS.run(conn, {"consumer": consumer, "upstream": upstream, "days": sorted(set(days)), "run_id": run_id})


def days_of(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days)]
