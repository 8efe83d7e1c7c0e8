"""The daily schedule picks the last complete UTC day in the user's timezone; every asset has a freshness policy."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import dagster as dg

from amazon_zoho.definitions import defs


def _tick(when: datetime) -> list[dg.RunRequest]:
    schedule = defs.resolve_schedule_def("daily_refresh_schedule")
    # Both as context managers: an unclosed schedule context leaves a disposed instance in Dagster's
    # global state, and later tests in the same process fail on it.
    with dg.instance_for_test() as instance, dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def()
    ) as context:
        return list(schedule.evaluate_tick(context).run_requests or [])


def test_schedule_requests_yesterday_utc():
    [request] = _tick(datetime(2026, 11, 23, 5, tzinfo=timezone.utc))
    assert request.partition_key == "2026-11-22"


def test_early_local_hour_east_of_utc_still_means_the_last_complete_utc_day():
    # 01:00 in Berlin on the 23rd is 00:00 UTC: the 22nd has just completed.
    [request] = _tick(datetime(2026, 11, 23, 1, tzinfo=ZoneInfo("Europe/Berlin")))
    assert request.partition_key == "2026-11-22"


def test_every_asset_has_a_freshness_policy_and_metadata_users_read():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.freshness_policy is not None, key
        assert node.owners and node.kinds and node.description, key
    assert graph.get(dg.AssetKey(["core", "settlements"])).freshness_policy.fail_window.to_timedelta().days >= 14
