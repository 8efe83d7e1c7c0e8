"""Sensors that turn Amazon-side news into partition-range runs: late order changes, new settlements.

Run shaping: every changed day of a tick goes into ONE run over the span first..last changed day
(the partition-range tags, executed as a single run by BackfillPolicy.single_run()), so the usual tick
(orders placed over the last two weeks shipping, being cancelled or refunded) is one run, not one per day
or per order. Unchanged days inside the span are rebuilt too; that costs DuckDB seconds and no API calls
(Zoho skips unchanged records). Only when more than MAX_GAP_DAYS unchanged days separate two changed ones
(an old order refunded months later) does the tick split into one run per cluster, so a stray old day
does not drag months of partitions into the run.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dagster as dg
import duckdb

from .. import clock
from ..core import late_days
from ..partitions import open_days
from ..warehouse import WarehouseResource
from . import order_updates, orders
from .reports import SETTLEMENT_REPORT_TYPE, list_reports
from .resource import AmazonSellerResource
from .spapi import SpApiClient

MAX_GAP_DAYS = 7
# Every tick costs at least one searchOrders call, and searchOrders refills one call per 180 s: a tick every
# 15 minutes (96 a day) leaves 80 % of that budget to the daily runs; late changes are not minute-critical.
ORDER_UPDATES_INTERVAL = 900
# searchOrders refills one call per 180 s after a burst of 20: a tick takes at most this many pages and
# leaves the rest (its cursor stops at the last lastUpdatedTime it saw) to the next tick.
MAX_PAGES_PER_TICK = 10
SENSOR_LOCK_WAIT = 30.0
# getReports reaches back 90 days (Amazon's retention); a little less so the edge is never refused.
SETTLEMENT_RETENTION = timedelta(days=90) - timedelta(minutes=5)
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
# Selections by key substring, so the per-seller key prefix (deploy/production) still matches.
RAW_ORDERS, RAW_SETTLEMENTS = "amazon_raw/raw_orders", "amazon_raw/raw_settlements"
ORDERS_DOWNSTREAM = dg.AssetSelection.key_substring(RAW_ORDERS).downstream(include_self=False)
SETTLEMENTS_AND_DOWNSTREAM = dg.AssetSelection.key_substring(RAW_SETTLEMENTS).downstream()
# Named jobs, so the sensors' runs show in the UI under what they are, not Dagster's hidden __ASSET_JOB. Every asset of
# both selections shares the daily partitions, which a job needs; each run request narrows the job to its days' assets.
ORDER_UPDATES_JOB = dg.define_asset_job(
    "order_updates_refresh", selection=ORDERS_DOWNSTREAM,
    description="Rebuilds core, marts and Zoho for the days whose orders changed after they were loaded (sensor amazon_order_updates).",
)
SETTLEMENTS_JOB = dg.define_asset_job(
    "settlements_refresh", selection=SETTLEMENTS_AND_DOWNSTREAM,
    description="Loads newly published settlement reports and rebuilds what reads them (sensor amazon_settlement_reports).",
)


def partition_runs(days: list[date], max_gap_days: int = MAX_GAP_DAYS) -> list[tuple[date, date]]:
    """Changed days -> (first, last) spans, one per run; a new span starts after a long unchanged stretch."""
    spans: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if spans and (day - spans[-1][1]).days - 1 <= max_gap_days:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def run_requests(spans: list[tuple[date, date]], key_prefix: str, asset_selection=None) -> list[dg.RunRequest]:
    return [
        dg.RunRequest(
            run_key=f"{key_prefix}:{first}:{last}",
            tags={RANGE_START: first.isoformat(), RANGE_END: last.isoformat()},
            asset_selection=asset_selection,
        )
        for first, last in spans
    ]


@dg.sensor(
    name="amazon_order_updates",
    description="Polls searchOrders by lastUpdated from its cursor, stores the new order versions in raw and "
    "re-materializes the downstream assets for exactly the purchase days that changed.",
    job=ORDER_UPDATES_JOB,
    minimum_interval_seconds=ORDER_UPDATES_INTERVAL,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def order_updates_sensor(context: dg.SensorEvaluationContext, amazon: AmazonSellerResource, warehouse: WarehouseResource):
    state = json.loads(context.cursor) if context.cursor else {}
    if _run_in_progress(context):
        # A run holds the DuckDB file (one writer); the changes wait for the next tick, cursor unchanged.
        return dg.SkipReason("a run is in progress and holds the warehouse; polling next tick")
    client = amazon.client()
    if client.limiter.bucket("searchOrders").available() < 1:
        # A tick must not sit out searchOrders' 180-second refill; the next one finds tokens again.
        return dg.SkipReason("searchOrders budget spent for now; polling next tick")
    # Runs hold the DuckDB file for seconds; a tick waits briefly for it, not the runs' 15 minutes.
    warehouse = warehouse.waiting_at_most(SENSOR_LOCK_WAIT)
    try:
        scan, days, newest_scan = _scan_order_updates(client, warehouse, amazon, state)
    except duckdb.IOException as exc:
        return dg.SkipReason(f"warehouse busy ({exc}); polling next tick")
    try:
        wanted = _days_to_rebuild(context, warehouse, days)
    except duckdb.IOException as exc:
        return dg.SkipReason(f"warehouse busy ({exc}); polling next tick")
    cursor = json.dumps({"updated_before": scan.before.isoformat(), "scan_id": newest_scan})
    context.log.info(_order_updates_tick_summary(scan, wanted))
    if not wanted:
        return dg.SensorResult(skip_reason=f"no loaded day changed ({scan.new_versions} new versions)", cursor=cursor)
    spans = partition_runs(wanted)
    return dg.SensorResult(
        run_requests=run_requests(spans, f"order-updates:{scan.before.isoformat()}", _daily_targets(context, ORDERS_DOWNSTREAM)),
        cursor=cursor,
    )


def _scan_order_updates(client: SpApiClient, warehouse: WarehouseResource, amazon: AmazonSellerResource,
                        state: dict) -> tuple[order_updates.Scan, list[date], int]:
    """One tick's searchOrders pages stored in raw, and the purchase days changed since the cursor's scan."""
    now = clock.now()
    after = _scan_start(state, warehouse, amazon, now)
    scan = order_updates.scan_updates(
        client, warehouse, amazon.marketplace_ids, after, now, order_updates.SENSOR_SOURCE,
        max_pages=MAX_PAGES_PER_TICK, never_wait=True,
    )
    days, newest_scan = order_updates.changed_since(warehouse, int(state.get("scan_id", 0)))
    return scan, days, newest_scan


def _scan_start(state: dict, warehouse: WarehouseResource, amazon: AmazonSellerResource, now: datetime) -> datetime:
    """The lastUpdated instant this tick's scan starts from."""
    if state.get("updated_before"):
        after = datetime.fromisoformat(state["updated_before"])
    else:
        # First tick: continue where the daily lookback's scans ended, or the lookback horizon.
        after = order_updates.covered_until(warehouse) or now - timedelta(days=max(amazon.lookback_days, 1))
    # What a daily lookback already scanned while the sensor was off is not fetched again.
    todo = order_updates.gaps(warehouse, after, orders.clamp_before(now))
    return todo[0][0] if todo else max(after, orders.clamp_before(now))


def _days_to_rebuild(context: dg.SensorEvaluationContext, warehouse: WarehouseResource, changed: list[date]) -> list[date]:
    raw_key = _key(context, RAW_ORDERS)
    loaded = context.instance.get_materialized_partitions(raw_key) if raw_key else set()
    # Days never loaded are left alone: rebuilding core from a handful of changed orders would publish
    # a partial day. They get everything when their partition first runs.
    bounds = open_days(_partitions(context, raw_key))
    wanted = [d for d in changed if d.isoformat() in loaded and bounds and bounds[0] <= d <= bounds[1]]
    if not wanted:
        return []
    # A day some other run already brought over (the intraday sensor's, after its getOrder or scan stored the same
    # versions; a daily run's lookback) is not asked for twice: only days whose raw moved past the last Zoho push.
    with warehouse.connect() as conn:
        behind = {d for d, _ in late_days.behind_zoho(conn, late_days.LAST_ZOHO_PUSH, min(wanted), max(wanted), min(wanted))}
    return [d for d in wanted if d in behind]


def _order_updates_tick_summary(scan: order_updates.Scan, wanted: list[date]) -> str:
    return (
        f"lastUpdated {scan.after.isoformat()}..{scan.before.isoformat()}: {scan.orders_seen} orders, {scan.new_versions} new "
        f"versions in {scan.calls} calls{'' if scan.complete else ' (more next tick)'}; days to rebuild: {wanted or 'none'}"
    )


@dg.sensor(
    name="amazon_settlement_reports",
    description="Finds settlement reports Amazon published since the newest one seen and loads the day(s) "
    "their period ended in, before Amazon deletes them (90 days).",
    job=SETTLEMENTS_JOB,
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def settlement_reports_sensor(context: dg.SensorEvaluationContext, amazon: AmazonSellerResource, warehouse: WarehouseResource):
    seen = SettlementCursor.parse(context.cursor)
    since = _listing_start(seen.newest_created, clock.now())
    fresh = [r for r in _published_settlements(amazon, since) if seen.is_new(r)]
    if not fresh and not seen.waiting:
        return dg.SkipReason(f"no settlement report published since {(seen.newest_created or since).isoformat()}")
    bounds = open_days(_partitions(context, _key(context, RAW_SETTLEMENTS)))
    plan = plan_settlement_days({**seen.waiting, **_period_end_days(fresh)}, _archived_reports(warehouse), bounds)
    next_seen = seen.advanced(fresh, plan.waiting)
    cursor = next_seen.dumps()
    context.log.info(_settlement_tick_summary(len(fresh), len(seen.waiting), plan, bounds))
    if not plan.wanted:
        return dg.SensorResult(skip_reason=f"no loadable day yet ({len(plan.waiting)} reports wait for their day's partition)", cursor=cursor)
    return dg.SensorResult(
        run_requests=run_requests(partition_runs(plan.wanted), f"settlements:{next_seen.newest_created.isoformat()}",
                                  _daily_targets(context, SETTLEMENTS_AND_DOWNSTREAM)),
        cursor=cursor,
    )


@dataclass(frozen=True)
class SettlementCursor:
    """The settlement sensor's memory between ticks; its JSON keys are what instances already store."""

    newest_created: datetime | None  # createdTime of the newest report seen
    # Several reports can share a createdTime, and one may be listed only on a later tick.
    ids_at_newest: frozenset[str]
    # Reports seen on an earlier tick whose day had no partition yet (their period ended that day).
    waiting: dict[str, date]

    @classmethod
    def parse(cls, cursor: str | None) -> "SettlementCursor":
        state = json.loads(cursor) if cursor else {}
        return cls(
            newest_created=datetime.fromisoformat(state["newest_created"]) if state.get("newest_created") else None,
            ids_at_newest=frozenset(state.get("ids_at_newest", [])),
            waiting={w["report_id"]: date.fromisoformat(w["day"]) for w in state.get("waiting", [])},
        )

    def is_new(self, report: dict) -> bool:
        created = clock.parse_instant(report["createdTime"])
        if self.newest_created is None or created > self.newest_created:
            return True
        return created == self.newest_created and report["reportId"] not in self.ids_at_newest

    def advanced(self, fresh: list[dict], waiting: dict[str, date]) -> "SettlementCursor":
        """After a tick that saw `fresh` and left `waiting` for later."""
        # Waiting reports come from a tick that saw fresh ones, so `newest_created` is set whenever nothing is fresh.
        newest = max([clock.parse_instant(r["createdTime"]) for r in fresh], default=self.newest_created)
        ids = frozenset(r["reportId"] for r in fresh if clock.parse_instant(r["createdTime"]) == newest)
        if newest == self.newest_created:
            ids |= self.ids_at_newest
        return SettlementCursor(newest, ids, waiting)

    def dumps(self) -> str:
        return json.dumps({
            "newest_created": self.newest_created.isoformat(),
            "ids_at_newest": sorted(self.ids_at_newest),
            "waiting": [{"report_id": rid, "day": day.isoformat()} for rid, day in sorted(self.waiting.items())],
        })


def _listing_start(newest_created: datetime | None, now: datetime) -> datetime:
    """Where getReports is asked to start: the newest report seen, but never past Amazon's retention."""
    horizon = now - SETTLEMENT_RETENTION
    return max(newest_created, horizon) if newest_created else horizon


def _published_settlements(amazon: AmazonSellerResource, since: datetime) -> list[dict]:
    """Finished settlement reports created since `since` for this seller's marketplaces (one naming none is ours), with a period end."""
    ours = set(amazon.marketplace_ids)
    listed = list_reports(amazon.client(), [SETTLEMENT_REPORT_TYPE], created_since=since, statuses=["DONE"])
    return [r for r in listed if set(r.get("marketplaceIds") or ours) & ours and r.get("dataEndTime")]


def _period_end_days(reports: list[dict]) -> dict[str, date]:
    """Report id -> the UTC day its settlement period ended in, the partition that loads it."""
    return {r["reportId"]: clock.parse_instant(r["dataEndTime"]).date() for r in reports}


def _settlement_tick_summary(fresh: int, waiting: int, plan: "SettlementPlan", bounds: tuple[date, date] | None) -> str:
    summary = f"{fresh} new settlement reports, {waiting} waiting from earlier ticks; days to load: {plan.wanted or 'none'}"
    if plan.waiting:
        summary += f"; waiting for their partition to open (period ended today): {sorted(set(plan.waiting.values()))}"
    if plan.too_old:
        summary += f"; before the first partition ({bounds[0]}), not loaded: {sorted(plan.too_old)}"
    return summary


@dataclass
class SettlementPlan:
    wanted: list[date]  # days whose partition exists and whose report is not archived yet
    waiting: dict[str, date]  # report id -> day, for days whose partition opens later (kept in the cursor)
    too_old: dict[str, date]  # report id -> day, for days before the first partition (recorded, never loaded)


def plan_settlement_days(reports: dict[str, date], archived: set[str], bounds: tuple[date, date] | None) -> SettlementPlan:
    """Splits published reports by what can happen to their day now.

    A period that ended today belongs to a partition that does not exist until midnight UTC: the report waits
    in the cursor and is asked for on the first tick after its partition opens, unless a run archived it by then.
    """
    pending = {rid: day for rid, day in reports.items() if rid not in archived}
    if bounds is None:
        return SettlementPlan([], dict(pending), {})
    first, last = bounds
    wanted = sorted({day for day in pending.values() if first <= day <= last})
    waiting = {rid: day for rid, day in pending.items() if day > last}
    too_old = {rid: day for rid, day in pending.items() if day < first}
    return SettlementPlan(wanted, waiting, too_old)


def _run_in_progress(context: dg.SensorEvaluationContext) -> bool:
    busy = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
    return bool(context.instance.get_runs(filters=dg.RunsFilter(statuses=busy), limit=1))


def _archived_reports(warehouse: WarehouseResource) -> set[str]:
    """Settlement reports already downloaded, so the sensor does not rerun their day; empty if the file is busy."""
    try:
        with warehouse.waiting_at_most(SENSOR_LOCK_WAIT).connect(read_only=True) as conn:
            return {r for (r,) in conn.execute("SELECT report_id FROM raw.settlement_reports").fetchall()}
    except (duckdb.IOException, duckdb.CatalogException):
        return set()


def _key(context: dg.SensorEvaluationContext, suffix: str) -> dg.AssetKey | None:
    """The asset key ending in `suffix` in this code location (keys carry a seller prefix in production)."""
    repo = context.repository_def
    if repo is None:
        return dg.AssetKey(suffix.split("/"))
    return next((k for k in repo.asset_graph.get_all_asset_keys() if k.to_user_string().endswith(suffix)), None)


def _partitions(context: dg.SensorEvaluationContext, key: dg.AssetKey | None) -> dg.PartitionsDefinition:
    """The daily partitions of this code location (Settings.start_date), as its raw asset declares them."""
    if context.repository_def is None or key is None:
        raise dg.DagsterInvariantViolationError(f"sensor {context.sensor_name or ''} needs the Definitions it belongs to")
    return context.repository_def.asset_graph.get(key).partitions_def


def _daily_targets(context: dg.SensorEvaluationContext, selection: dg.AssetSelection) -> list[dg.AssetKey] | None:
    """The selection's assets that share the daily partitions (a range run cannot include others)."""
    repo = context.repository_def
    if repo is None:
        return None
    graph = repo.asset_graph
    daily = _partitions(context, _key(context, RAW_ORDERS))
    keys = selection.resolve(graph)
    return sorted((k for k in keys if graph.get(k).partitions_def == daily), key=lambda k: k.to_user_string())
