"""The daily schedule requests every complete UTC day once, whatever its local hour and the clock changes do; every
asset has a freshness policy."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun, make_new_run_id

# Dagster's own cron walk, the one its daemon uses to place ticks (clock changes included).
from dagster._utils.schedules import cron_string_iterator

from amazon_zoho import clock
from amazon_zoho.definitions import defs
from amazon_zoho.ops.schedules import (
    MAX_RUNTIME_TAG,
    SCHEDULE_NAME,
    SCHEDULE_TAG,
    SCOPE_TAG,
    build_daily_schedule,
    daily_requests,
    last_requested_day,
)
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
    requests = _tick(datetime(2026, 11, 23, 5, tzinfo=timezone.utc))
    # A fresh instance: nothing requested yet, so only the last complete UTC day, with a time limit.
    assert [(r.partition_key, r.run_key) for r in requests] == [("2026-11-22", "2026-11-22")]
    assert requests[0].tags[MAX_RUNTIME_TAG] == str(6 * 3600)


def test_job_runs_carry_a_time_limit():
    assert defs.resolve_job_def("daily_refresh").tags[MAX_RUNTIME_TAG] == str(6 * 3600)
    assert Settings.from_env({"AMAZON_ZOHO_MAX_RUN_HOURS": "1.5"}).max_run_hours == 1.5


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


# Time zones and local hours whose tick crosses midnight UTC at a clock change (London 0, Berlin 1, Los Angeles
# 16), and ones that never do, for contrast.
GRID = [("Europe/London", 0), ("Europe/Berlin", 1), ("America/Los_Angeles", 16), ("Asia/Tokyo", 9), ("UTC", 0),
        ("Australia/Sydney", 10), ("Europe/London", 23), ("America/Los_Angeles", 17)]


def _launch(instance: dg.DagsterInstance, request: dg.RunRequest, tick: datetime) -> None:
    """What the daemon records when it launches a request: a run with the schedule's and the request's tags."""
    tags = {**request.tags, SCHEDULE_TAG: SCHEDULE_NAME, "dagster/partition": request.partition_key, "dagster/run_key": request.run_key}
    instance.add_run(DagsterRun(job_name="daily_refresh", run_id=make_new_run_id(), tags=tags))


def _ticks(schedule: dg.ScheduleDefinition, timezone_name: str, start: datetime, end: datetime):
    for tick in cron_string_iterator(start.timestamp(), schedule.cron_schedule, timezone_name):
        if tick >= end:
            return
        yield tick


def _requested_days(requests: list[dg.RunRequest], tick: datetime) -> list[date]:
    days = [date.fromisoformat(r.partition_key) for r in requests]
    # Only complete UTC days: the partition ended before the tick.
    assert all(datetime(d.year, d.month, d.day, tzinfo=timezone.utc) + timedelta(days=1) <= tick for d in days)
    return days


def _assert_each_day_once(requested: list[date], last_tick: datetime) -> None:
    first = requested[0]
    # Each UTC day once, in order: none skipped by a 25-hour night, none twice after a 23-hour one...
    assert requested == [first + timedelta(days=n) for n in range(len(requested))]
    # ...up to the last one complete at the last tick.
    assert requested[-1] == (last_tick.astimezone(timezone.utc) - timedelta(days=1)).date()


@pytest.mark.parametrize("timezone_name, hour", GRID, ids=[f"{z}-{h}" for z, h in GRID])
def test_every_utc_day_is_requested_once_through_a_year_of_ticks(timezone_name, hour):
    """Dagster's own cron walk places a year of ticks; each asks for the days after the last one requested."""
    zone = ZoneInfo(timezone_name)
    partitions = daily_partitions(Settings.from_env({}).start_date)
    schedule = build_daily_schedule(partitions, hour, timezone_name)
    requested: list[date] = []
    offsets = set()
    for tick in _ticks(schedule, timezone_name, datetime(2026, 1, 1, tzinfo=zone), datetime(2027, 1, 1, tzinfo=zone)):
        offsets.add(tick.utcoffset())
        with clock.pinned(tick, frozen=True):
            result = daily_requests(partitions, clock.now(), requested[-1] if requested else None)
        requested += _requested_days(result if isinstance(result, list) else [], tick)
        last_tick = tick
    # Both clock changes happened inside the year (where the zone has them).
    assert len(offsets) == (1 if timezone_name in ("UTC", "Asia/Tokyo") else 2)
    assert requested[0] <= date(2026, 1, 1)
    _assert_each_day_once(requested, last_tick)


# Three weeks around each clock change of 2026, through the schedule itself and a Dagster instance that holds the
# runs it launched (London, Berlin: last Sunday of March and October; Los Angeles: 8 March, 1 November).
CHANGES = [("Europe/London", 0, datetime(2026, 3, 29)), ("Europe/London", 0, datetime(2026, 10, 25)),
           ("Europe/Berlin", 1, datetime(2026, 10, 25)), ("America/Los_Angeles", 16, datetime(2026, 11, 1)),
           ("America/Los_Angeles", 16, datetime(2026, 3, 8))]


@pytest.mark.parametrize("timezone_name, hour, change_day", CHANGES, ids=lambda v: str(v)[:10])
def test_the_schedule_reads_what_it_requested_from_the_instance_across_a_clock_change(timezone_name, hour, change_day):
    zone = ZoneInfo(timezone_name)
    # The IANA time zone database (zoneinfo), not our list, says the clocks change on this day.
    assert change_day.replace(tzinfo=zone).utcoffset() != (change_day + timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    schedule = build_daily_schedule(daily_partitions(Settings.from_env({}).start_date), hour, timezone_name)
    start = (change_day - timedelta(days=10)).replace(tzinfo=zone)
    requested: list[date] = []
    with dg.instance_for_test() as instance:
        for tick in _ticks(schedule, timezone_name, start, start + timedelta(days=21)):
            with clock.pinned(tick, frozen=True), dg.build_schedule_context(
                instance=instance, scheduled_execution_time=tick, repository_def=defs.get_repository_def()
            ) as context:
                requests = list(schedule.evaluate_tick(context).run_requests or [])
            requested += _requested_days(requests, tick)
            for request in requests:
                _launch(instance, request, tick)
            last_tick = tick
    _assert_each_day_once(requested, last_tick)
    assert len(requested) >= 20


def test_days_missed_while_the_daemon_was_down_are_requested_at_the_next_tick():
    partitions = daily_partitions(Settings.from_env({}).start_date)
    requests = daily_requests(partitions, datetime(2026, 11, 23, 5, tzinfo=timezone.utc), last_requested=date(2026, 11, 18))
    assert [r.partition_key for r in requests] == ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]
    assert isinstance(daily_requests(partitions, datetime(2026, 11, 23, 5, tzinfo=timezone.utc), date(2026, 11, 22)), dg.SkipReason)


def test_another_sellers_runs_do_not_count_as_requested():
    with dg.instance_for_test() as instance:
        request = dg.RunRequest(run_key="2026-11-20", partition_key="2026-11-20", tags={SCOPE_TAG: "ACME_EU__"})
        _launch(instance, request, datetime(2026, 11, 21, tzinfo=timezone.utc))
        assert last_requested_day(instance, "ACME_EU__") == date(2026, 11, 20)
        assert last_requested_day(instance, "default") is None
        # A run launched before runs carried the scope tag was the one seller's.
        _launch(instance, dg.RunRequest(run_key="2026-11-19", partition_key="2026-11-19"), datetime(2026, 11, 20, tzinfo=timezone.utc))
        assert last_requested_day(instance, "default") == date(2026, 11, 19)
        assert last_requested_day(instance, "ACME_EU__") == date(2026, 11, 20)


def test_every_schedule_and_sensor_says_in_the_ui_what_it_does():
    automations = [*defs.schedules, *defs.sensors]
    assert automations and all(a.description for a in automations), [a.name for a in automations if not a.description]
    assert "05:00 UTC" in defs.resolve_schedule_def("daily_refresh_schedule").description


def test_sensor_runs_show_under_named_jobs_not_dagster_s_hidden_one():
    repo = defs.get_repository_def()
    jobs = {name: repo.get_sensor_def(name).job_name for name in ("amazon_order_updates", "amazon_settlement_reports")}
    assert jobs == {"amazon_order_updates": "order_updates_refresh", "amazon_settlement_reports": "settlements_refresh"}
    assert all(repo.get_job(job).description for job in jobs.values())
