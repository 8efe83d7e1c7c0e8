"""Intraday latency (issue #15): how long a sandbox order takes from becoming pushable (its first status past PENDING:
Zoho gets an order once it has prices, mapping.yaml) to its Zoho Sales_Orders record, with ORDER_CHANGE notifications
and with polling only, side by side; Amazon calls and 429s per 1,000 orders; Zoho credits per 1,000 orders intraday
against one daily-path run over the same orders.

    .venv/bin/python -m amazon_zoho.bench.intraday_latency [--orders-per-day 1000] [--minutes 10] [--run-every-seconds 0]

How time passes: the sensor ticks every 30 s of sandbox time, and `SPEED` sandbox seconds pass per real second
(the sandbox's and our rate limits refill `SPEED` times faster, its --time-scale), so Amazon's usage plans hold as they
would in real time. A tick whose work (receive, fetch, one run) takes longer than its 30 s / SPEED of real time
counts that work at SPEED times its real length: latencies are, if anything, overstated. Orders that became pushable
in the first `minutes` are measured; the sensor then keeps ticking for up to DRAIN_MINUTES until each is in Zoho. Before
the window, one daily-path run brings yesterday and today up to date (Amazon's limits off for it), as a running
deployment would be. Credits per 1,000 orders: every Zoho credit of the window (new orders and the status changes of
older ones) over the orders priced in it.

Why intraday cannot reach the daily path's credits at minutes of latency: Zoho charges an upsert 1 credit per 10 records
or part of 10 (API-FACTS.md, "Credit cost"), so a run carrying one new order and its buyer pays 2 credits where the daily
path's 100-record calls pay 0.2. Only runs carrying about 10 orders each approach the floor: at 1,000 orders a day
(0.7 a minute) that is a run every quarter of an hour. `--run-every-seconds` (AMAZON_ZOHO_INTRADAY_RUN_EVERY_SECONDS)
measures that trade: fewer runs, fewer credits, later records.
"""

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import requests

from .. import clock
from .scratch import scratch

SPEED = 4.0
TICK = timedelta(seconds=30)  # the sensor's minimum_interval_seconds (amazon/intraday.py INTERVAL_SECONDS)
DRAIN_MINUTES = 12
# A plain Wednesday mid-morning (amazon_zoho_tests/truth.py PLAIN_DAY): no settlement, no clock change.
START = "2026-06-10T09:00:00+00:00"
MODES = ("notifications", "polling")


def run(orders_per_day: int = 1000, minutes: int = 10, run_every_seconds: int = 0, modes: tuple[str, ...] = MODES) -> dict:
    warnings.filterwarnings("ignore")
    out: dict = {"orders per day": orders_per_day, "window (sandbox minutes)": minutes,
                 "a run at most every (s, AMAZON_ZOHO_INTRADAY_RUN_EVERY_SECONDS)": run_every_seconds}
    for mode in modes:
        out.update({f"{mode}: {k}": v for k, v in _measure(mode, orders_per_day, minutes, run_every_seconds).items()})
    out["daily path: Zoho credits per 1,000 orders"] = _daily_credits(orders_per_day, minutes)
    intraday = out.get("notifications: Zoho credits per 1,000 orders")
    daily = out["daily path: Zoho credits per 1,000 orders"]
    if intraday is not None and daily:
        out["notifications: credits vs daily path"] = f"{intraday / daily:.2f}x (goal <= 1.1x)"
    return out


def _measure(mode: str, orders_per_day: int, minutes: int, run_every_seconds: int = 0) -> dict:
    import dagster as dg

    from ..amazon.intraday import order_change_notifications
    from ..amazon.queue import NotificationQueueResource
    from ..definitions import defs
    from ..resources import build_resources, queue_resource
    from ..sandbox import Sandbox
    from ..sandbox.sqs_server import sqs_server
    from ..settings import load

    config = _config(orders_per_day)
    with scratch(f"bench-intraday-{mode}-") as work, clock.pinned(START), \
            Sandbox(port=0, config=config, state_dir=work / "sandbox") as sb, sqs_server() as endpoint:
        env = {**_env(sb.url, work), "AMAZON_ZOHO_INTRADAY_RUN_EVERY_SECONDS": str(run_every_seconds)}
        settings = load(env)
        resources = build_resources(settings)
        _setup_zoho(resources)
        _warm_up(sb, env)
        if mode == "notifications":
            sb.app.set_config({"sqs_endpoint_url": endpoint}, persist=False)
            order_queue = _with(queue_resource(settings), long_poll_seconds=1)
        else:  # no queue configured: the sensor polls searchOrders by lastUpdatedAfter
            order_queue = NotificationQueueResource(enabled=True, run_every_seconds=run_every_seconds)
        context = {**resources, "order_queue": order_queue}
        instance = dg.DagsterInstance.ephemeral()

        def tick(cursor):
            return order_change_notifications(dg.build_sensor_context(cursor=cursor, instance=instance, resources=context,
                                                                     definitions=defs))

        # The first tick makes the sandbox's queue, destination and subscription: orders count from after it.
        first = tick(None)
        cursor = first.cursor if isinstance(first, dg.SensorResult) else None
        credits_before, calls_before = _credits(sb.url), _last_call(sb.url)
        start = clock.now()
        # Spaced runs leave the last orders of the window waiting up to run_every_seconds more.
        drain_minutes = DRAIN_MINUTES + math.ceil(run_every_seconds / 60)
        end, drain = start + timedelta(minutes=minutes), start + timedelta(minutes=minutes + drain_minutes)
        runs, ticks = 0, 0
        while clock.now() < drain:
            tick_real, tick_sim = time.monotonic(), clock.now()
            if mode == "notifications":
                requests.post(f"{sb.url}/_sandbox/notifications/deliver", timeout=60)
            result = tick(cursor)
            cursor = result.cursor if isinstance(result, dg.SensorResult) else cursor
            for request in (result.run_requests if isinstance(result, dg.SensorResult) else None) or []:
                dg.materialize(list(defs.assets), selection=request.asset_selection, resources=resources, instance=instance,
                               tags=request.tags, raise_on_error=False)
                runs += 1
            ticks += 1
            _pace(tick_real, tick_sim)
            if clock.now() > end and _all_in_zoho(sb.url, config, start, end):
                break
        latencies, missing = _latencies(sb.url, config, start, end)
        calls = [c for c in _calls_since(sb.url, calls_before) if c.get("service") == "amazon"]
        created = len(list(_orders(config, start, end)))  # became pushable in the window
        ops = Counter(c["operation"] for c in calls if not c["operation"].endswith("token") and not c["operation"].startswith("amazon_"))
        credits = _credits(sb.url) - credits_before
    per_k = 1000 / max(created, 1)
    return {
        "orders priced in the window": created,
        "latency p50 (s)": _pct(latencies, 50),
        "latency p95 (s)": _pct(latencies, 95),
        "latency max (s)": round(max(latencies), 1) if latencies else None,
        "orders measured": len(latencies),
        "pushable but not in Zoho by the end": missing,
        "sensor ticks": ticks,
        "runs": runs,
        "Amazon calls per 1,000 orders": round(sum(ops.values()) * per_k, 1),
        "Amazon calls by operation": dict(ops),
        "Amazon 429s": sum(1 for c in calls if c["status"] == 429),
        "Zoho credits per 1,000 orders": round(credits * per_k, 1),
        "Zoho credits per run": round(credits / runs, 2) if runs else None,
    }


def _warm_up(sb, env: dict) -> None:
    """Yesterday and today as the daily path leaves them at the window's start (Zoho holds every order priced by then,
    the lastUpdated ledger covers the last day), fetched with Amazon's limits off and buckets of their own, so the window
    starts with the usage plans' full bursts."""
    import dagster as dg

    from ..amazon.sensors import RANGE_END, RANGE_START
    from ..definitions import defs
    from ..resources import build_resources
    from ..settings import load

    sb.app.set_config({"rate_limits": False}, persist=False)
    # Our own pacing off too (buckets refilling 1000x as fast): the sandbox answers without limits meanwhile.
    resources = build_resources(load({**env, "AMAZON_ZOHO_LOOKBACK_DAYS": "1", "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000"}),
                                seller_key="warm-up")
    today = clock.today()
    tags = {RANGE_START: (today - timedelta(days=1)).isoformat(), RANGE_END: today.isoformat()}
    if not dg.materialize(list(defs.assets), resources=resources, tags=tags, raise_on_error=False).success:
        raise RuntimeError("the warm-up run failed")
    sb.app.set_config({"rate_limits": True}, persist=False)


def _daily_credits(orders_per_day: int, minutes: int) -> float:
    """One daily-path run (raw -> core -> Zoho) of today's partition at the window's end, over the same orders."""
    import dagster as dg

    from ..definitions import defs
    from ..resources import build_resources
    from ..sandbox import Sandbox
    from ..settings import load

    # Credits only: Amazon's limits off, and no lookback (the intraday side scanned nothing before its window either).
    config = replace(_config(orders_per_day), rate_limits=False, time_scale=1000.0)
    with scratch("bench-intraday-daily-") as work, clock.pinned(clock.parse_instant(START) + timedelta(minutes=minutes + DRAIN_MINUTES)), \
            Sandbox(port=0, config=config, state_dir=work / "sandbox") as sb:
        resources = build_resources(load({**_env(sb.url, work), "AMAZON_ZOHO_SANDBOX_TIME_SCALE": "1000", "AMAZON_ZOHO_LOOKBACK_DAYS": "0"}))
        _setup_zoho(resources)
        before = _credits(sb.url)
        day = clock.today().isoformat()
        dg.materialize(list(defs.assets), resources=resources, partition_key=day, raise_on_error=False)
        spent = _credits(sb.url) - before
        pushed = len(requests.get(f"{sb.url}/_sandbox/zoho/records/Sales_Orders", timeout=60).json()["records"])
    return round(spent * 1000 / max(pushed, 1), 1)


def _config(orders_per_day: int):
    from ..sandbox import SandboxConfig

    # orders_per_day is per marketplace in the sandbox; three marketplaces by default.
    return SandboxConfig(orders_per_day=math.ceil(orders_per_day / 3), time_scale=SPEED, report_processing_seconds=0.5,
                         zoho_daily_credits=10_000_000)


def _env(url: str, work: Path) -> dict:
    return {"AMAZON_ZOHO_SANDBOX_URL": url, "AMAZON_ZOHO_SANDBOX_TIME_SCALE": str(SPEED),
            "AMAZON_ZOHO_WAREHOUSE": str(work / "warehouse.duckdb"), "AMAZON_ZOHO_ARCHIVE_DIR": str(work / "archive"),
            "AMAZON_ZOHO_START_DATE": "2026-01-01"}


def _pace(tick_real: float, tick_sim: datetime) -> None:
    """Ends the tick TICK of sandbox time after it began, SPEED sandbox seconds per real second (see the docstring)."""
    real = time.monotonic() - tick_real
    wanted_real = TICK.total_seconds() / SPEED
    if real < wanted_real:
        time.sleep(wanted_real - real)
        real = wanted_real
    clock.advance(timedelta(seconds=real * SPEED) - (clock.now() - tick_sim))


def _orders(config, start: datetime, end: datetime):
    """Orders that became pushable (their first status past PENDING) in [start, end); sandbox orders wait up to a
    few hours in PENDING."""
    from ..sandbox.amazon.datagen import orders_created_between

    return (o for o in orders_created_between(config, config.marketplaces, start, end, lookback_days=1)
            if (at := _pushable_at(o)) is not None and start <= at < end)


def _pushable_at(order) -> datetime | None:
    return next((at for at, status in order.events if status != "PENDING"), None)


def _zoho_created(url: str) -> dict[str, datetime]:
    records = requests.get(f"{url}/_sandbox/zoho/records/Sales_Orders", timeout=60).json()["records"]
    return {r["Amazon_Order_ID"]: clock.parse_instant(r["Created_Time"]) for r in records if r.get("Created_Time")}


def _latencies(url: str, config, start: datetime, end: datetime) -> tuple[list[float], int]:
    created, now, out, missing = _zoho_created(url), clock.now(), [], 0
    for order in _orders(config, start, end):
        at = _pushable_at(order)
        if at is None or at > now:
            continue
        if order.order_id in created:
            out.append((created[order.order_id] - at).total_seconds())
        else:
            missing += 1
    return out, missing


def _all_in_zoho(url: str, config, start: datetime, end: datetime) -> bool:
    return _latencies(url, config, start, end)[1] == 0


def _pct(values: list[float], p: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 1)


def _credits(url: str) -> int:
    return int(requests.get(f"{url}/_sandbox/zoho/credits", timeout=60).json()["used_24h"])


def _last_call(url: str) -> int:
    calls = requests.get(f"{url}/_sandbox/calls", timeout=60).json()["calls"]
    return calls[-1]["id"] if calls else 0


def _calls_since(url: str, since_id: int) -> list[dict]:
    return requests.get(f"{url}/_sandbox/calls", params={"since_id": since_id}, timeout=60).json()["calls"]


def _with(resource, **changes):
    """The resource with `changes`, built anew: Dagster initializes a resource from the config it was constructed with,
    so a pydantic model_copy's changes would not reach the sensor."""
    return type(resource)(**{**resource.model_dump(), **changes})


def _setup_zoho(resources: dict) -> None:
    """The custom fields, made once per org (make zoho-setup) and not counted."""
    from ..zoho.mapping import MODULE_ORDER, load as load_mapping
    from ..zoho.setup import ensure_fields

    client, mapping = resources["zoho"].client(), load_mapping()
    for module in MODULE_ORDER:
        ensure_fields(client, mapping, module)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.bench.intraday_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders-per-day", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--run-every-seconds", type=int, default=0, help="AMAZON_ZOHO_INTRADAY_RUN_EVERY_SECONDS for the sensor")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    args = parser.parse_args(argv)
    print(json.dumps(run(args.orders_per_day, args.minutes, args.run_every_seconds, tuple(args.modes)), indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
