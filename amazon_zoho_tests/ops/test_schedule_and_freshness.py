"""The daily schedule picks the last complete UTC day in the user's timezone; every asset has a freshness policy."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

# Dagster's own cron walk, the one its daemon uses to place ticks (clock changes included).
from dagster._utils.schedules import cron_string_iterator

from amazon_zoho.definitions import defs
from amazon_zoho.ops.schedules import build_daily_schedule
from amazon_zoho.partitions import daily_partitions
from amazon_zoho.settings import Settings


def _tick(when: datetime) -> list[dg.RunRequest]:
    schedule = defs.resolve_schedule_def("daily_refresh_schedule")
    # Both as context managers: an unclosed schedule context leaves a disposed instance in Dagster's
    # global state, and later tests in the same process fail on it.
    with dg.instance_for_test() as instance, dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def()
    ) as context:
        return list(schedule.evaluate_tick(context).run_requests or [])


def test_schedule_requests_yesterday_utc():
    before, request = _tick(datetime(2026, 11, 23, 5, tzinfo=timezone.utc))
    assert request.partition_key == request.run_key == "2026-11-22"
    # The day before, under the run key its own tick used: skipped by Dagster unless a clock change jumped it.
    assert before.partition_key == before.run_key == "2026-11-21"


def test_early_local_hour_east_of_utc_still_means_the_last_complete_utc_day():
    # 01:00 in Berlin on the 23rd is 00:00 UTC: the 22nd has just completed.
    *_, request = _tick(datetime(2026, 11, 23, 1, tzinfo=ZoneInfo("Europe/Berlin")))
    assert request.partition_key == "2026-11-22"


def test_every_asset_has_a_freshness_policy_and_metadata_users_read():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.freshness_policy is not None, key
        assert node.owners and node.kinds and node.description, key
    assert graph.get(dg.AssetKey(["core", "settlements"])).freshness_policy.fail_window.to_timedelta().days >= 14


# The days clocks change in 2026 (EU: last Sunday of March and October at 01:00 UTC; US: second Sunday of
# March, first Sunday of November at 02:00 local), a week either side, at hours that vanish or repeat.
CLOCK_CHANGES = [
    ("Europe/London", datetime(2026, 3, 29)), ("Europe/London", datetime(2026, 10, 25)),
    ("Europe/Berlin", datetime(2026, 3, 29)), ("Europe/Berlin", datetime(2026, 10, 25)),
    ("America/Los_Angeles", datetime(2026, 3, 8)), ("America/Los_Angeles", datetime(2026, 11, 1)),
]


@pytest.mark.parametrize("timezone_name, change_day", CLOCK_CHANGES, ids=lambda v: str(v)[:10])
@pytest.mark.parametrize("hour", [0, 1, 2, 5, 23])
def test_every_utc_day_is_refreshed_once_across_a_clock_change(timezone_name, change_day, hour):
    # The IANA time zone database (zoneinfo), not our list, says the clocks change on this day.
    zone = ZoneInfo(timezone_name)
    assert change_day.replace(tzinfo=zone).utcoffset() != (change_day + timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    schedule = build_daily_schedule(daily_partitions(Settings.from_env({}).start_date), hour, timezone_name)
    start = (change_day - timedelta(days=7)).replace(tzinfo=ZoneInfo(timezone_name))
    launched: dict[str, datetime] = {}  # run key -> tick that launched it; Dagster skips a run key it has seen
    with dg.instance_for_test() as instance:
        for tick in cron_string_iterator(start.timestamp(), schedule.cron_schedule, timezone_name):
            if tick >= start + timedelta(days=14):
                break
            with dg.build_schedule_context(instance=instance, scheduled_execution_time=tick, repository_def=defs.get_repository_def()) as context:
                requests = list(schedule.evaluate_tick(context).run_requests or [])
            for request in requests:
                # Only complete UTC days: the partition ended before the tick.
                assert datetime.fromisoformat(request.partition_key).replace(tzinfo=timezone.utc) + timedelta(days=1) <= tick
                launched.setdefault(request.run_key, tick)
    days = sorted(date.fromisoformat(key) for key in launched)
    # Consecutive UTC days, each launched once: none skipped by a 25-hour night, none twice after a 23-hour one.
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))]
    assert len(days) >= 14
