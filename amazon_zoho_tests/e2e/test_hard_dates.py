"""The daily path at instants that have bitten real pipelines, each pinned on the one clock.

At each instant: the schedule's tick asks for the last complete UTC day; the run loads it through every asset
(Amazon → DuckDB → Zoho) and the warehouse and Zoho tie out with the sandbox's truth; then an order-updates
tick and a settlement tick name only partitions that exist. The clock runs on from the pinned instant, so the
23:59:59 row crosses midnight while its run is going, as a real one would.
"""

import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import dagster as dg
import duckdb
import pytest

from amazon_zoho import clock
from amazon_zoho.amazon.sensors import (
    RANGE_END,
    RANGE_START,
    order_updates_sensor,
    settlement_reports_sensor,
)
from amazon_zoho.definitions import defs
from amazon_zoho.ops.schedules import daily_requests
from amazon_zoho.partitions import daily_partitions, open_days
from amazon_zoho.sandbox.amazon.settlement_schedule import period_index, settlement
from amazon_zoho.settings import Settings
from amazon_zoho_tests.assets import asset
from amazon_zoho_tests.truth import run_days, truth_orders, zoho_records

ASSETS = list(defs.assets)
PARTITIONS = daily_partitions(Settings.from_env({}).start_date)
DE = "A1PA6795UKMFR9"


def _settlement_published_the_day_it_ended(after: datetime) -> datetime:
    """Half an hour after the sandbox publishes a DE settlement whose period ended that same UTC day."""
    k = period_index(42, DE, after)
    while not ((s := settlement(42, DE, k)).created.date() == s.end.date()):
        k += 1
    return s.created + timedelta(minutes=30)


HARD_INSTANTS = [
    ("settlement period ends today", _settlement_published_the_day_it_ended(datetime(2026, 5, 1, tzinfo=timezone.utc))),
    ("US clocks go forward (Los Angeles)", datetime(2026, 3, 8, 10, 30, tzinfo=timezone.utc)),
    ("EU clocks go forward (London, Berlin)", datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)),
    ("EU clocks go back (London, Berlin)", datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)),
    ("US clocks go back (Los Angeles)", datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)),
    ("month end, 23:59:59 UTC", datetime(2026, 4, 30, 23, 59, 59, tzinfo=timezone.utc)),
    ("quarter end just passed, 00:00:00 UTC", datetime(2026, 7, 1, 0, 0, 0, tzinfo=timezone.utc)),
    ("year end, 23:59:59 UTC", datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
    ("new year, 00:00:00 UTC", datetime(2027, 1, 1, 0, 0, 0, tzinfo=timezone.utc)),
    ("leap day", datetime(2028, 2, 29, 12, 0, tzinfo=timezone.utc)),
    ("the day after a leap day, 00:00:00 UTC", datetime(2028, 3, 1, 0, 0, 0, tzinfo=timezone.utc)),
]


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _has_partition(days) -> bool:
    first, last = open_days(PARTITIONS)
    return all(first <= day <= last for day in days)


@pytest.mark.parametrize("name, instant", HARD_INSTANTS, ids=[n for n, _ in HARD_INSTANTS])
def test_the_daily_path_holds_at_a_hard_instant(name, instant, sandbox, resources, project_env):
    instance = dg.DagsterInstance.ephemeral()
    with clock.pinned(instant):
        # The schedule's tick at this instant: the last complete UTC day, which has a partition.
        *_, request = daily_requests(PARTITIONS, clock.now())
        day = date.fromisoformat(request.partition_key)
        assert day == instant.date() - timedelta(days=1) and _has_partition([day])

        started = clock.now()
        result = dg.materialize(ASSETS, resources=resources, instance=instance, partition_key=day.isoformat())
        assert result.success, name

        # Amazon, the warehouse and Zoho agree on the day's orders: all of them, once each.
        truth = {o["orderId"]: o for o in truth_orders(sandbox.url, day, day)}
        with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
            core = dict(conn.execute("SELECT order_id, purchase_date FROM core.orders").fetchall())
            lines = conn.execute("SELECT count(*) FROM core.order_lines").fetchone()[0]
        assert truth and set(core) == set(truth) and set(core.values()) == {day}, name
        assert lines == sum(o["itemCount"] for o in truth.values())
        sales_orders = zoho_records(sandbox.url, "Sales_Orders")
        pushed = Counter(r["Amazon_Order_ID"] for r in sales_orders)
        # An order that left PENDING while the run was going is the next run's business, not this one's.
        settled = {oid for oid, o in truth.items() if o["status"] != "PENDING" and _ts(o["lastUpdatedTime"]) < started}
        assert settled <= set(pushed) <= set(truth) and max(pushed.values()) == 1, name

        # A sensor tick right after names only partitions that exist at that moment, never today's.
        ticks = [
            order_updates_sensor(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)),
            settlement_reports_sensor(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)),
        ]
        for tick in ticks:
            for run in getattr(tick, "run_requests", None) or []:
                assert _has_partition(run_days(run)), (name, run.tags)
        assert clock.now() >= started


def test_a_settlement_that_ended_today_is_loaded_once_its_day_opens(sandbox, resources):
    instant = HARD_INSTANTS[0][1]
    instance = dg.DagsterInstance.ephemeral()
    with clock.pinned(instant):
        today = clock.today()

        first = settlement_reports_sensor(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))

        requested = {d for run in first.run_requests for d in run_days(run)}
        assert today not in requested and max(requested) < today
        waiting = json.loads(first.cursor)["waiting"]
        assert [w["day"] for w in waiting] == [today.isoformat()], "today's report waits in the cursor"

        # Nothing new is published by 00:30 the next day, yet the waiting report's day has opened: it is asked for.
        clock.advance(datetime.combine(today + timedelta(days=1), datetime.min.time(), timezone.utc)
                      + timedelta(minutes=30) - clock.now())
        later = settlement_reports_sensor(dg.build_sensor_context(cursor=first.cursor, instance=instance, resources=resources,
                                                                  definitions=defs))
        assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in later.run_requests] == [(today.isoformat(),) * 2]
        assert json.loads(later.cursor)["waiting"] == []

        # Once the day's run archived it, a later tick has nothing left to ask for.
        dg.materialize([asset("amazon_raw", "raw_settlements")], resources=resources, instance=instance, partition_key=today.isoformat())
        again = settlement_reports_sensor(dg.build_sensor_context(cursor=first.cursor, instance=instance, resources=resources,
                                                                  definitions=defs))
        assert not getattr(again, "run_requests", None)
