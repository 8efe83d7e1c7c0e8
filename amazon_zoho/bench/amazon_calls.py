"""Amazon API calls: the daily path per 1,000 orders (items included) beside Orders v0's list-then-items
pattern, and a 1-year backfill from flat-file reports with its wall time projected under Amazon's limits.

`python -m amazon_zoho.bench.amazon_calls [--orders-per-day 1000] [--daily-days 7] [--backfill-days 365]`

Everything runs against sandboxes this module starts on ephemeral ports, with the default seed and
marketplaces (DE, UK, FR), so the data is the same every time. Counts come from the sandbox's call log.
Wall times "under Amazon's limits" are never measured (the sandbox runs its buckets faster, or not at all):
the counted calls are replayed, in the order they were made, through token buckets at the published rate
and burst (amazon/pacing.py USAGE_PLANS), one call after the other as our client makes them, on a virtual
clock. The floor is what those limits force on any client making the same calls: for each operation,
(calls - burst) / rate; the slowest operation sets it. Report processing time on Amazon's side (minutes per
report, concurrent) is not a rate limit and is left out of both.

The 1-year backfill runs for real on a sandbox with rate limits off (so it takes a minute, not days).
"""

import argparse
import json
import math
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests

from .. import clock

REPORT_OPERATIONS = ("createReport", "getReport", "getReports", "getReportDocument", "cancelReport")
MARKETPLACES = 3  # the sandbox's default seller sells in DE, UK and FR


def run(orders_per_day: int = 1000, daily_days: int = 7, backfill_days: int = 365) -> dict:
    started = time.perf_counter()
    per_marketplace = max(1, round(orders_per_day / MARKETPLACES))
    with tempfile.TemporaryDirectory() as tmp:
        daily = _daily_path(Path(tmp) / "daily", per_marketplace, daily_days)
        backfill = _backfill(Path(tmp) / "backfill", per_marketplace, backfill_days)
    return {
        **daily,
        **backfill,
        "bench wall time (s)": round(time.perf_counter() - started, 1),
    }


# -- the daily path -------------------------------------------------------------------------------------------
def _daily_path(tmp: Path, per_marketplace: int, days: int) -> dict:
    from amazon_zoho.sandbox import Sandbox, SandboxConfig

    # Amazon's buckets at 10,000x: counts are what matter here, and the pacing is still exercised.
    config = SandboxConfig(orders_per_day=per_marketplace, time_scale=10_000.0, report_processing_seconds=1.0)
    with Sandbox(port=0, config=config, state_dir=tmp / "sandbox") as sandbox:
        resources = _resources(sandbox.url, tmp / "steady", time_scale=10_000)
        sensor = _sensor_day(sandbox, resources)
        first = _today() - timedelta(days=days + 1)
        daily_days = [first + timedelta(days=n) for n in range(days)]
        steady = [_daily_run(resources, day) for day in daily_days]
        cold = _daily_run(_resources(sandbox.url, tmp / "cold", time_scale=10_000), daily_days[-1])
        v0 = _v0_pattern(resources["amazon"], daily_days)
        throttled = sum(1 for c in _calls(sandbox.url) if c["status"] == 429)

    orders = sum(r["orders"] for r in steady)
    steady_calls = Counter()
    for r in steady:
        steady_calls.update(r["calls"])
    per_day_projection = max(_project(r["sequence"]) for r in steady)
    return {
        "daily path: days measured": days,
        "daily path: orders (all marketplaces)": orders,
        "daily path: Amazon calls": dict(steady_calls),
        "daily path: calls per 1,000 orders (goal <= 10.5)": round(1000 * sum(steady_calls.values()) / orders, 2),
        "daily path: lookback scans with the sensor running": sum(r["lookback_scans"] for r in steady),
        "daily path: projected wall time per day under Amazon's limits (s)": round(per_day_projection, 1),
        "daily path, first run without a sensor (lookback scans 3 days): calls": dict(cold["calls"]),
        "daily path, first run without a sensor: calls per 1,000 orders": round(1000 * sum(cold["calls"].values()) / cold["orders"], 2),
        "v0 pattern: calls": dict(v0["calls"]),
        "v0 pattern: calls per 1,000 orders": round(1000 * sum(v0["calls"].values()) / v0["orders"], 1),
        "v0 pattern: projected wall time per day under Amazon's limits (s)": round(max(_project(d) for d in v0["sequences"]), 1),
        "sensor: ticks in a simulated day (every 15 min)": sensor["ticks"],
        "sensor: searchOrders calls that day": sensor["calls"],
        "sensor: order versions it stored": sensor["new_versions"],
        "429 answers in the daily-path sandbox's call log": throttled,
    }


def _sensor_day(sandbox, resources) -> dict:
    """A day of order-updates ticks, every 15 minutes, replayed by moving the sandbox's clock and ours."""
    import dagster as dg

    from amazon_zoho.amazon.sensors import ORDER_UPDATES_INTERVAL, order_updates_sensor
    from amazon_zoho.definitions import defs

    since = _last_call_id(sandbox.url)
    instance = dg.DagsterInstance.ephemeral()
    cursor, ticks, day = None, 0, timedelta(days=1)
    clock.advance(-day)  # the sandbox reads the same clock, so both sides go back a day together
    moved = -day
    try:
        for _ in range(int(day.total_seconds() // ORDER_UPDATES_INTERVAL) + 1):
            result = order_updates_sensor(dg.build_sensor_context(cursor=cursor, instance=instance, resources=resources, definitions=defs))
            cursor, ticks = getattr(result, "cursor", cursor) or cursor, ticks + 1
            step = min(timedelta(seconds=ORDER_UPDATES_INTERVAL), -moved)
            clock.advance(step)
            moved += step
    finally:
        clock.advance(-moved)
    with resources["warehouse"].connect(read_only=True) as conn:
        stored = conn.execute("SELECT coalesce(sum(new_versions), 0) FROM ops.order_update_scans WHERE source = 'order_updates_sensor'").fetchone()[0]
    # The first tick also caught up on the lookback horizon before the simulated day; counted as is.
    calls = sum(1 for c in _calls(sandbox.url, since) if c["operation"] == "searchOrders")
    return {"ticks": ticks - 1, "calls": calls, "new_versions": stored}


def _daily_run(resources, day: date) -> dict:
    import dagster as dg

    from amazon_zoho.definitions import defs

    # The asset as the code location builds it (over the deployment's partitions), without its resources: ours are bound.
    # (Its key ends in amazon_raw/raw_orders, after the seller's prefix when one is set.)
    raw_orders = next(a for a in defs.assets if any(k.path[-2:] == ["amazon_raw", "raw_orders"] for k in a.keys))
    url = resources["amazon"].endpoint
    since = _last_call_id(url)
    result = dg.materialize([raw_orders], resources=resources, partition_key=day.isoformat(), raise_on_error=True)
    meta = {k: v.value for k, v in result.get_asset_materialization_events()[0].materialization.metadata.items()}
    sequence = [c["operation"] for c in _calls(url, since) if c["operation"] != "lwa_token"]
    return {"orders": meta["orders_fetched"], "calls": Counter(sequence), "sequence": sequence, "lookback_scans": meta["lookback_scans"]}


def _v0_pattern(amazon, days: list[date]) -> dict:
    """Orders v0 as most integrations use it: getOrders pages, then getOrderItems for every order."""
    client = amazon.client()
    url = amazon.endpoint
    orders, calls, sequences = 0, Counter(), []
    for day in days:
        since = _last_call_id(url)
        start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        params = {"MarketplaceIds": ",".join(amazon.marketplace_ids), "CreatedAfter": _iso(start),
                  "CreatedBefore": _iso(start + timedelta(days=1)), "MaxResultsPerPage": 100}
        while True:
            payload = client.call("getOrders", "GET", "/orders/v0/orders", params=params).body["payload"]
            for order in payload.get("Orders", []):
                orders += 1
                token = None
                while True:
                    items = client.call("getOrderItems", "GET", f"/orders/v0/orders/{order['AmazonOrderId']}/orderItems",
                                        params={"NextToken": token} if token else None).body["payload"]
                    token = items.get("NextToken")
                    if not token:
                        break
            if not payload.get("NextToken"):
                break
            params = {"NextToken": payload["NextToken"]}
        sequences.append([c["operation"] for c in _calls(url, since) if c["operation"] != "lwa_token"])
        calls.update(sequences[-1])
    return {"orders": orders, "calls": calls, "sequences": sequences}


# -- the 1-year backfill ----------------------------------------------------------------------------------------
def _backfill(tmp: Path, per_marketplace: int, days: int) -> dict:
    from amazon_zoho.amazon.order_reports import load_orders_from_reports
    from amazon_zoho.sandbox import Sandbox, SandboxConfig

    config = SandboxConfig(orders_per_day=per_marketplace, rate_limits=False, time_scale=1_000_000.0, report_processing_seconds=1.0)
    with Sandbox(port=0, config=config, state_dir=tmp / "sandbox") as sandbox:
        resources = _resources(sandbox.url, tmp, time_scale=1_000_000)
        amazon = resources["amazon"]
        end = datetime.combine(_today(), datetime.min.time(), timezone.utc)
        start = end - timedelta(days=days)
        began = time.perf_counter()
        loaded = load_orders_from_reports(amazon.client(), amazon.session(), resources["warehouse"], amazon.marketplace_ids,
                                          start, end, "bench")
        took = time.perf_counter() - began
        sequence = [c["operation"] for c in _calls(sandbox.url) if c["service"] == "amazon" and c["operation"] != "lwa_token"]
        with resources["warehouse"].connect(read_only=True) as conn:
            per_day = [n for (n,) in conn.execute(
                "SELECT count(DISTINCT order_id) FROM raw.order_versions WHERE purchase_date >= ? AND purchase_date < ? GROUP BY purchase_date",
                [start.date(), end.date()]).fetchall()]
    calls = Counter(sequence)
    report_calls = {op: calls[op] for op in REPORT_OPERATIONS if calls[op]}
    projected, floor = _project(sequence), _floor(calls)
    # The same year through searchOrders: one page per 100 orders of each day (all marketplaces per call).
    search_pages = sum(math.ceil(n / 100) for n in per_day)
    return {
        "1-year backfill: days": days,
        "1-year backfill: orders": loaded.orders,
        "1-year backfill: report calls": report_calls,
        "1-year backfill: report calls total": sum(report_calls.values()),
        "1-year backfill: getOrder calls (merchant-fulfilled buyers, last 30 days)": calls["getOrder"],
        "1-year backfill: projected wall time under Amazon's limits (h)": round(projected / 3600, 2),
        "1-year backfill: floor set by those limits (h)": round(floor / 3600, 2),
        "1-year backfill: projected / floor (goal <= 1.2)": round(projected / floor, 3) if floor else None,
        "1-year backfill via searchOrders instead: pages, projected (h)": f"{search_pages}, {_project(['searchOrders'] * search_pages) / 3600:.1f}",
        "1-year backfill: measured on the sandbox, limits off (s)": round(took, 1),
    }


# -- replaying calls under Amazon's limits -------------------------------------------------------------------------
def _project(sequence: list[str]) -> float:
    """Seconds the calls take one after the other through buckets at Amazon's published rate and burst."""
    from amazon_zoho.amazon.pacing import USAGE_PLANS, Bucket

    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    buckets: dict[str, Bucket] = {}
    for operation in sequence:
        if operation not in buckets:
            rate, burst = USAGE_PLANS.get(operation, (1.0, 5))
            buckets[operation] = Bucket(rate, burst, clock=lambda: now[0], sleep=sleep)
        buckets[operation].acquire()
    return now[0]


def _floor(calls: Counter) -> float:
    """The least time any client needs for these calls: the slowest operation's (calls - burst) / rate."""
    from amazon_zoho.amazon.pacing import USAGE_PLANS

    return max((max(0, n - USAGE_PLANS[op][1]) / USAGE_PLANS[op][0] for op, n in calls.items() if op in USAGE_PLANS), default=0.0)


# -- plumbing --------------------------------------------------------------------------------------------------
def _resources(url: str, folder: Path, time_scale: float) -> dict:
    from amazon_zoho.resources import build_resources
    from amazon_zoho.settings import load

    folder.mkdir(parents=True, exist_ok=True)
    return build_resources(load({
        "AMAZON_ZOHO_SANDBOX_URL": url,
        "AMAZON_ZOHO_SANDBOX_TIME_SCALE": str(time_scale),
        "AMAZON_ZOHO_WAREHOUSE": str(folder / "warehouse.duckdb"),
        "AMAZON_ZOHO_ARCHIVE_DIR": str(folder / "archive"),
        "AMAZON_ZOHO_START_DATE": (_today() - timedelta(days=400)).isoformat(),
    }))


def _calls(url: str, since: int = 0) -> list[dict]:
    return requests.get(f"{url}/_sandbox/calls", params={"since_id": since, "service": "amazon"}, timeout=60).json()["calls"]


def _last_call_id(url: str) -> int:
    calls = requests.get(f"{url}/_sandbox/calls", params={"since_id": 0}, timeout=60).json()["calls"]
    return calls[-1]["id"] if calls else 0


def _today() -> date:
    return clock.today()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.bench.amazon_calls", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders-per-day", type=int, default=1000, help="over all three marketplaces")
    parser.add_argument("--daily-days", type=int, default=7)
    parser.add_argument("--backfill-days", type=int, default=365)
    args = parser.parse_args(argv)
    figures = run(args.orders_per_day, args.daily_days, args.backfill_days)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {json.dumps(value) if isinstance(value, dict) else value}")


if __name__ == "__main__":
    main()
