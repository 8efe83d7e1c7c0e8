"""Run shaping, the settlement sensor and the settlement gap check, against the sandbox."""

import json
from datetime import date, datetime, timedelta

import dagster as dg
import pytest
import requests

from amazon_zoho import clock
from amazon_zoho.amazon.sensors import (
    RANGE_END,
    RANGE_START,
    partition_runs,
    plan_settlement_days,
    settlement_reports_sensor,
)
from amazon_zoho.amazon.settlement_assets import GAP_CHECK, _gap_advice
from amazon_zoho.definitions import defs
from amazon_zoho_tests.assets import asset
from amazon_zoho_tests.truth import PLAIN_DAY, day_ago, run_days

D = date(2026, 10, 1)


def days(*offsets: int) -> list[date]:
    return [D + timedelta(days=n) for n in offsets]


@pytest.mark.parametrize(
    "changed, spans",
    [
        ([], []),
        (days(0), [(0, 0)]),
        (days(5, 0, 3, 3, 12), [(0, 12)]),  # one run: unchanged days in between cost no API calls
        (days(0, 8), [(0, 8)]),  # 7 unchanged days apart: still one run
        (days(0, 9, 10), [(0, 0), (9, 10)]),  # more than 7 apart: the far day gets its own run
    ],
)
def test_changed_days_become_as_few_runs_as_possible(changed, spans):
    assert partition_runs(changed) == [(D + timedelta(days=a), D + timedelta(days=b)) for a, b in spans]


# These two read the newest settlement periods, so they pin a day on which none of them ends (the day one does is
# test_hard_dates.py's first row): whatever AMAZON_ZOHO_TEST_NOW says.
@pytest.fixture
def plain_day():
    with clock.pinned(PLAIN_DAY):
        yield


def settlements(sandbox) -> list[dict]:
    return requests.get(f"{sandbox.url}/_sandbox/amazon/truth/settlements", timeout=10).json()["settlements"]


def end_day(settlement: dict) -> date:
    return datetime.fromisoformat(settlement["end"].replace("Z", "+00:00")).date()


def tick(resources, cursor=None, instance=None):
    context = dg.build_sensor_context(cursor=cursor, instance=instance or dg.DagsterInstance.ephemeral(),
                                      resources=resources, definitions=defs)
    return settlement_reports_sensor(context)


def test_settlement_sensor_asks_for_the_days_of_newly_published_reports(plain_day, sandbox, resources):
    published = sorted(settlements(sandbox), key=lambda s: s["created"])
    yesterday = day_ago(1)

    first = tick(resources)

    requested = {day for r in first.run_requests for day in run_days(r)}
    assert {end_day(s) for s in published if end_day(s) <= yesterday} <= requested
    assert all(r.tags[RANGE_START] in {str(end_day(s)) for s in published} for r in first.run_requests)
    assert json.loads(first.cursor)["newest_created"].startswith(published[-1]["created"][:19])
    assert isinstance(tick(resources, first.cursor), dg.SkipReason)

    # Only the newest report is new to a cursor just before it; its day alone is asked for.
    newest = published[-1]
    before_newest = json.dumps({"newest_created": (datetime.fromisoformat(newest["created"].replace("Z", "+00:00"))
                                                   - timedelta(seconds=1)).isoformat()})
    later = tick(resources, before_newest)
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in later.run_requests] == [(str(end_day(newest)),) * 2]
    assert "raw_settlements" in {k.path[-1] for k in later.run_requests[0].asset_selection}


def test_settlement_cursor_keeps_what_it_has_seen_while_waiting_reports_are_asked_for(plain_day, sandbox, resources):
    seen = json.loads(tick(resources).cursor)
    nothing_new = tick(resources, json.dumps(seen))
    assert nothing_new.skip_message == f"no settlement report published since {seen['newest_created']}"
    # A report created at the newest instant but not among the ids seen there is new, and is remembered.
    forgotten = tick(resources, json.dumps({**seen, "ids_at_newest": []}))
    assert forgotten.run_requests and forgotten.cursor == json.dumps(seen)

    # Nothing newer is published: the newest instant and the ids seen at it carry over, the waiting report whose
    # day has opened is asked for and leaves the cursor, the one whose day is today keeps waiting.
    yesterday, today = day_ago(1), day_ago(0)
    waiting = [{"report_id": "r-open", "day": yesterday.isoformat()}, {"report_id": "r-today", "day": today.isoformat()}]
    later = tick(resources, json.dumps({**seen, "waiting": waiting}))
    assert later.cursor == json.dumps({**seen, "waiting": waiting[1:]})
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in later.run_requests] == [(yesterday.isoformat(),) * 2]

    still = tick(resources, json.dumps({**seen, "waiting": waiting[1:]}))
    assert still.skip_reason.skip_message == "no loadable day yet (1 reports wait for their day's partition)"
    assert still.cursor == json.dumps({**seen, "waiting": waiting[1:]})


def test_gap_check_names_a_missing_period_while_amazon_still_has_it(plain_day, sandbox, resources):
    de = [s for s in settlements(sandbox) if s["marketplace_id"] == "A1PA6795UKMFR9"]
    before, missing, after = sorted(de, key=lambda s: s["start"])[-3:]

    for settlement in (before, after):
        result = dg.materialize([asset("amazon_raw", "raw_settlements")], resources=resources, partition_key=str(end_day(settlement)))
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == GAP_CHECK]
    assert check.check_name == GAP_CHECK and not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    details = check.metadata["details"].value
    # The missing period ended after `before` did and no later than `after` began.
    assert "A1PA6795UKMFR9: nothing between" in details
    assert f"run raw_settlements for {end_day(before) + timedelta(days=1)}..{end_day(missing)}" in details

    result = dg.materialize([asset("amazon_raw", "raw_settlements")], resources=resources, partition_key=str(end_day(missing)))
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == GAP_CHECK]
    assert check.passed and check.metadata["gaps"].value == 0


def test_a_report_is_loaded_now_waits_for_its_partition_or_is_named_as_too_old():
    plan = plan_settlement_days(
        {"r-old": date(2025, 12, 20), "r-open": date(2026, 6, 3), "r-today": date(2026, 6, 10), "r-done": date(2026, 6, 4)},
        archived={"r-done"}, bounds=(date(2026, 1, 1), date(2026, 6, 9)),
    )
    assert plan.wanted == [date(2026, 6, 3)]
    assert plan.waiting == {"r-today": date(2026, 6, 10)}
    assert plan.too_old == {"r-old": date(2025, 12, 20)}


@pytest.mark.parametrize("first, last, advice", [
    (date(2026, 6, 1), date(2026, 6, 5), "run raw_settlements for 2026-06-01..2026-06-05"),
    (date(2026, 6, 8), date(2026, 6, 10), "run raw_settlements for 2026-06-08..2026-06-09; 2026-06-10 has no partition until"),
    (date(2026, 6, 10), date(2026, 6, 10), "its day 2026-06-10 has no partition until 00:00 UTC tomorrow"),
])
def test_the_gap_check_names_only_days_that_can_be_run_today(first, last, advice):
    gap = {"first_day": first, "last_day": last, "still_fetchable": True}
    assert _gap_advice(gap, last_open=date(2026, 6, 9)).startswith(advice)


# Two settlement reports exactly as getReports listed them for a seller (amzn/selling-partner-api-docs issue #969,
# 2022-03-24): each was published 39 or 100 minutes after its period closed, on the same UTC day.
REAL_REPORTS = [
    {"reportId": "1", "createdTime": "2022-03-24T10:04:30+00:00", "dataStartTime": "2022-03-10T08:24:51+00:00",
     "dataEndTime": "2022-03-24T08:24:50+00:00"},
    {"reportId": "2", "createdTime": "2022-03-24T09:03:57+00:00", "dataStartTime": "2022-03-10T08:25:06+00:00",
     "dataEndTime": "2022-03-24T08:25:06+00:00"},
]


def test_reports_amazon_published_the_day_their_period_closed_wait_for_that_days_partition():
    # Which days have a partition is Dagster's answer, for a seller whose partitions start in 2022.
    partitions = dg.DailyPartitionsDefinition(start_date="2022-01-01", timezone="UTC")

    def bounds(at: str) -> tuple[date, date]:
        with dg.partition_loading_context(effective_dt=datetime.fromisoformat(at)):
            return date.fromisoformat(partitions.get_first_partition_key()), date.fromisoformat(partitions.get_last_partition_key())

    reports = {r["reportId"]: datetime.fromisoformat(r["dataEndTime"]).date() for r in REAL_REPORTS}
    newest = max(r["createdTime"] for r in REAL_REPORTS)

    seen = plan_settlement_days(reports, archived=set(), bounds=bounds(newest))
    assert seen.wanted == [] and seen.waiting == {"1": date(2022, 3, 24), "2": date(2022, 3, 24)}

    next_tick = plan_settlement_days(seen.waiting, archived=set(), bounds=bounds("2022-03-25T00:30:00+00:00"))
    assert next_tick.wanted == [date(2022, 3, 24)] and next_tick.waiting == {}


def test_the_sandbox_publishes_settlements_within_what_amazon_was_seen_to_do():
    from amazon_zoho.sandbox.amazon.settlement_schedule import PUBLISHED_AFTER_CLOSE

    observed = [(datetime.fromisoformat(r["createdTime"]) - datetime.fromisoformat(r["dataEndTime"])).total_seconds()
                for r in REAL_REPORTS]
    assert PUBLISHED_AFTER_CLOSE[0] <= min(observed) and max(observed) <= PUBLISHED_AFTER_CLOSE[1]
