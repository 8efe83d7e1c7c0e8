"""What the sandbox says is true, for tests to compare the warehouse and Zoho against."""

from datetime import date, datetime, timedelta, timezone

import requests

from amazon_zoho import clock
from amazon_zoho.amazon.sensors import RANGE_END, RANGE_START

# A plain Wednesday: no settlement period ends that day, no clock changes, mid-month. The suite runs at it.
PLAIN_DAY = "2026-06-10T10:00:00+00:00"


def run_days(request) -> list[date]:
    """Every day of a sensor's partition-range run request."""
    first, last = date.fromisoformat(request.tags[RANGE_START]), date.fromisoformat(request.tags[RANGE_END])
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def day_ago(n: int) -> date:
    return clock.today() - timedelta(days=n)


def truth_orders(sandbox_url: str, first: date, last: date) -> list[dict]:
    """The sandbox's own list of orders created on days first..last (UTC), as of now."""
    after = datetime(first.year, first.month, first.day, tzinfo=timezone.utc)
    before = after + timedelta(days=(last - first).days + 1)
    params = {"createdAfter": after.isoformat(), "createdBefore": before.isoformat()}
    return requests.get(f"{sandbox_url}/_sandbox/amazon/truth/orders", params=params, timeout=30).json()["orders"]


def zoho_records(sandbox_url: str, module: str) -> list[dict]:
    return requests.get(f"{sandbox_url}/_sandbox/zoho/records/{module}", timeout=30).json()["records"]
