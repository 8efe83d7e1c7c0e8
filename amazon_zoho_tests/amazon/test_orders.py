"""searchOrders against the sandbox: every order of a day exactly once, in as few calls as pages allow."""

import math
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from amazon_zoho import clock
from amazon_zoho.amazon.orders import clamp_before, search_orders
from amazon_zoho_tests.truth import day_ago, truth_orders


def day_window(day):
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


@pytest.mark.parametrize("page_size", [100, 5])
def test_yesterday_returns_every_order_once(sandbox, resources, page_size):
    amazon = resources["amazon"]
    client = amazon.client()
    yesterday = day_ago(1)
    truth = [o["orderId"] for o in truth_orders(sandbox.url, yesterday, yesterday)]

    fetched = list(search_orders(client, amazon.marketplace_ids, *day_window(yesterday), page_size=page_size))

    assert truth
    assert Counter(o.order_id for o in fetched) == Counter(truth)
    assert client.calls["searchOrders"] <= math.ceil(len(truth) / page_size) + 1
    assert all(o.marketplace_id in amazon.marketplace_ids and o.request_id for o in fetched)


def test_window_ending_now_is_clamped_so_amazon_accepts_it(resources):
    amazon = resources["amazon"]
    now = clock.now()
    # Unclamped, the sandbox (like Amazon) answers 400 for a createdBefore under two minutes old.
    list(search_orders(amazon.client(), amazon.marketplace_ids, now - timedelta(hours=6), now))


def test_clamp_before_keeps_two_minutes_behind_now():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    assert clamp_before(now, now=now) <= now - timedelta(minutes=2)
    assert clamp_before(now + timedelta(days=1), now=now) <= now - timedelta(minutes=2)
    earlier = now - timedelta(hours=1)
    assert clamp_before(earlier, now=now) == earlier


def test_window_entirely_too_recent_makes_no_call(resources):
    amazon = resources["amazon"]
    client = amazon.client()
    now = clock.now()
    assert list(search_orders(client, amazon.marketplace_ids, now - timedelta(seconds=30), now)) == []
    assert client.calls["searchOrders"] == 0
