"""Intraday orders (issue #15): ORDER_CHANGE notifications from SQS bring orders to Zoho within minutes, today's
open partition included; polling searchOrders by lastUpdatedAfter takes over when the queue is not there or silent.

One tick of `order_change_notifications`:
1. Receive: long-poll the queue (NotificationQueueResource.long_poll_seconds), then drain what is waiting (bounded, so the tick fits the sensor's time). Each
   notification is recorded in ops.notifications (deduplicated on NotificationId); a message that is not one is
   recorded in ops.notification_rejects and moved to the dead-letter queue with the reason. Only then are the
   messages deleted: a tick that dies before leaves them in the queue, to come back and dedupe (at-least-once).
2. Fallback: no queue, an unreachable one, or one silent longer than the threshold: a lastUpdatedAfter scan (the
   order-updates sensor's own, amazon/order_updates.py), at most every poll_seconds, says so in the tick.
3. Fetch: the notified orders still pending go into raw.order_versions: getOrder each while few are pending (sees a
   change at once), one searchOrders by lastUpdatedAfter when many are (100 a page; blind to the last 2 minutes, so
   what it misses stays pending for the next tick).
4. Runs: every purchase day whose raw orders moved past what Zoho was last sent (core/late_days.py behind_zoho;
   today's and yesterday's even if never pushed) gets core -> marts -> Zoho in ONE run per tick over their span
   (sensors.partition_runs). The run key names the raw state it brings over, so a re-tick asks for nothing twice,
   and a failed run's days are still behind Zoho: the next tick asks again (up to MAX_ATTEMPTS per state).
Zoho credits: each run pushes only records whose payload changed (zoho/sync.py), so an order changing three times
costs at most three pushes, and a burst of notifications becomes one run.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import botocore.exceptions
import dagster as dg
import duckdb
import pandas as pd

from .. import clock
from ..core import late_days
from ..http.errors import ApiError
from ..partitions import partition_days
from ..warehouse import WarehouseResource
from . import order_updates, orders
from .notifications import setup
from .order_change import Malformed, parse
from .order_store import count_of, quarantine_refused, store_orders
from .queue import NotificationQueueResource, Queue, QueueUnavailable, dead_letter, delete, receive
from .resource import AmazonSellerResource
from .sensors import (
    MAX_PAGES_PER_TICK,
    ORDERS_DOWNSTREAM,
    RANGE_END,
    RANGE_START,
    SENSOR_LOCK_WAIT,
    _daily_targets,
    _key,
    _partitions,
    _scan_start,
    partition_runs,
)
from .spapi import SpApiClient
from .steps import RECORD_NOTIFICATIONS

SENSOR_NAME = "order_change_notifications"
INTERVAL_SECONDS = 30
# Draining stops after this long or this many messages; the rest wait for the next tick (30 s later).
DRAIN_SECONDS = 15
MAX_MESSAGES_PER_TICK = 1000
# A received message reappears after this if the tick died before deleting it.
VISIBILITY_SECONDS = 120
# A run that failed bringing one raw state over is asked for again this often; then the days wait for the daily run.
MAX_ATTEMPTS = 3
# Days never pushed to Zoho that intraday builds from what raw holds: today's (open) and yesterday's (until the daily
# run finalizes it, at AMAZON_ZOHO_SCHEDULE_HOUR).
INTRADAY_DAYS = 2
# searchOrders' lastUpdated lags Amazon's TimeOfOrderChange by seconds; scan from a little before the oldest change.
CHANGE_SKEW = timedelta(minutes=5)
NOTIFIED_SOURCE, POLL_SOURCE = "intraday_notifications", "intraday_poll"
KEY_TAG = "amazon_zoho/intraday_key"
INTRADAY_JOB = dg.define_asset_job(
    "intraday_orders", selection=ORDERS_DOWNSTREAM,
    description="Brings orders Amazon says changed (ORDER_CHANGE notifications, or polling) through core and marts to Zoho, "
    "today's open partition included (sensor order_change_notifications).",
)
BUSY = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


@dataclass
class Tick:
    """What one tick handled: the cursor keeps the last one, the log line and skip reason say it."""

    mode: str = "queue"
    received: int = 0
    new: int = 0
    duplicates: int = 0
    malformed: int = 0
    orders_fetched: int = 0
    fetched_by: str = ""
    refused: int = 0
    pending: int = 0
    polled: str = ""
    runs: int = 0
    days: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"{self.received} messages: {self.new} new notifications, {self.duplicates} duplicates, {self.malformed} malformed "
                f"(to the DLQ); {self.orders_fetched} orders fetched{f' by {self.fetched_by}' if self.fetched_by else ''}, "
                f"{self.pending} still pending; {self.runs} runs for {', '.join(self.days) or 'no day'}")
        if self.polled:
            text += f"; polling: {self.polled}"
        return text + "".join(f"; {n}" for n in self.notes)


@dataclass
class Cursor:
    listening_since: str = ""  # when the sensor first looked at the queue (silence counts from here until a message)
    last_heard: str = ""  # the newest message received
    last_poll: str = ""  # the fallback's last lastUpdatedAfter scan
    last_run: str = ""  # when the tick last asked for runs (AMAZON_ZOHO_INTRADAY_RUN_EVERY_SECONDS)
    sandbox_setup: bool = False

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        state = json.loads(text) if text else {}
        return cls(**{k: state[k] for k in ("listening_since", "last_heard", "last_poll", "last_run", "sandbox_setup") if k in state})

    def dumps(self, tick: Tick) -> str:
        return json.dumps({**asdict(self), "last_tick": {k: v for k, v in asdict(tick).items() if v not in ("", [], 0)}})


@dg.sensor(
    name=SENSOR_NAME,
    description="Long-polls the ORDER_CHANGE notifications queue (SQS), fetches the changed orders (getOrder while few, "
    "searchOrders when many) and requests one run per tick that brings their days, today's included, to Zoho; polls "
    "searchOrders by lastUpdatedAfter when the queue is missing, unreachable or silent.",
    job=INTRADAY_JOB,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def order_change_notifications(context: dg.SensorEvaluationContext, amazon: AmazonSellerResource, warehouse: WarehouseResource,
                               order_queue: NotificationQueueResource):
    cursor = Cursor.parse(context.cursor)
    if not order_queue.enabled:
        return dg.SkipReason("intraday is off (AMAZON_ZOHO_INTRADAY=0); the daily run and the order-updates sensor keep Zoho current")
    if context.instance.get_runs(filters=dg.RunsFilter(statuses=BUSY), limit=1):
        # One DuckDB writer: the queue keeps the messages (14 days) and the next tick takes them all in one go.
        return dg.SkipReason("a run is queued or in progress and holds the warehouse; messages wait in the queue for the next tick")
    tick, now = Tick(), clock.now()
    cursor.listening_since = cursor.listening_since or now.isoformat()
    warehouse = warehouse.waiting_at_most(SENSOR_LOCK_WAIT)
    client = amazon.client()
    try:
        polling_because = _listen(context, order_queue, warehouse, amazon, cursor, tick, now)
        if polling_because:
            tick.mode = "polling"
            _poll(client, warehouse, amazon, order_queue, cursor, tick, now, polling_because)
        _fetch_pending(client, warehouse, amazon, order_queue.getorder_max, tick)
        requests = _run_requests(context, warehouse, tick) if _run_due(order_queue, cursor, tick, now) else []
    except duckdb.IOException as exc:
        # Nothing was deleted from the queue that is not recorded; what is recorded is picked up next tick.
        return dg.SkipReason(f"warehouse busy ({exc}); next tick")
    context.log.info(tick.summary())
    if requests:
        cursor.last_run = now.isoformat()
    if not requests:
        return dg.SensorResult(skip_reason=tick.summary(), cursor=cursor.dumps(tick))
    return dg.SensorResult(run_requests=requests, cursor=cursor.dumps(tick))


def _listen(context, order_queue: NotificationQueueResource, warehouse: WarehouseResource, amazon: AmazonSellerResource,
            cursor: Cursor, tick: Tick, now: datetime) -> str:
    """Receives and records this tick's messages; returns why polling must take over ("" when the queue is fine)."""
    try:
        if order_queue.is_sandbox and not cursor.sandbox_setup:
            _sandbox_setup(context, amazon, order_queue, cursor)
        try:
            queue = order_queue.open()
        except QueueUnavailable:
            if not order_queue.is_sandbox:
                raise
            # A restarted sandbox's SQS server keeps no queues: make them (and the subscription) again.
            _sandbox_setup(context, amazon, order_queue, cursor)
            queue = order_queue.open()
    except QueueUnavailable as exc:
        return str(exc)
    except ApiError as exc:
        return f"sandbox notifications setup failed ({exc.operation} HTTP {exc.status})"
    tick.notes += queue.notes
    try:
        consume(queue, warehouse, amazon.marketplace_ids, tick, order_queue.long_poll_seconds)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        tick.notes.append(f"queue failed mid-tick ({exc.__class__.__name__}); what was recorded stays recorded")
        return f"SQS failed while receiving: {exc.__class__.__name__}"
    if tick.received:
        cursor.last_heard = now.isoformat()
        return ""
    heard = clock.parse_instant(cursor.last_heard or cursor.listening_since)
    silent = now - heard
    if silent > timedelta(minutes=order_queue.silence_minutes):
        return (f"queue silent for {silent.total_seconds() / 60:.0f} min (threshold AMAZON_ZOHO_INTRADAY_SILENCE_MINUTES="
                f"{order_queue.silence_minutes:g})")
    return ""


def _sandbox_setup(context, amazon: AmazonSellerResource, order_queue: NotificationQueueResource, cursor: Cursor) -> None:
    """`make dev` needs no setup command: against the sandbox the queue, destination and subscription are made by the
    sensor (idempotent). Against AWS and Amazon that is make intraday-setup's, never a sensor's."""
    for line in setup(amazon, order_queue):
        context.log.info(f"sandbox intraday setup: {line}")
    cursor.sandbox_setup = True


def consume(queue: Queue, warehouse: WarehouseResource, marketplace_ids: list[str], tick: Tick, long_poll_seconds: int = 10) -> None:
    """Receives up to MAX_MESSAGES_PER_TICK messages (long-polling up to `long_poll_seconds` for the first); records
    them, sets malformed ones aside, then deletes them."""
    messages: list[dict] = []
    started, wait = time.monotonic(), long_poll_seconds
    while len(messages) < MAX_MESSAGES_PER_TICK and time.monotonic() - started < DRAIN_SECONDS:
        batch = receive(queue, wait, VISIBILITY_SECONDS)
        if not batch:
            break
        messages += batch
        wait = 0  # the first batch waited; the rest drain what is already there
    tick.received = len(messages)
    if not messages:
        return
    good, bad = [], []
    for message in messages:
        try:
            good.append(parse(message.get("Body") or ""))
        except Malformed as reason:
            bad.append((message, str(reason)))
    received_at = clock.now()
    frame = _notifications_frame(good, received_at)
    with warehouse.connect() as conn:
        conn.begin()
        known = count_of(conn, "SELECT count(*) FROM ops.notifications")
        RECORD_NOTIFICATIONS.run(conn, {"marketplace_ids": marketplace_ids}, incoming_notifications=frame)
        tick.new = count_of(conn, "SELECT count(*) FROM ops.notifications") - known
        _record_rejects(conn, bad, queue.dlq_url is not None, received_at)
        conn.commit()
    tick.duplicates, tick.malformed = len(good) - tick.new, len(bad)
    bad_ids = {m["MessageId"] for m, _ in bad}
    settled = [m for m in messages if m["MessageId"] not in bad_ids]
    for message, reason in bad:
        try:
            dead_letter(queue, message, reason)
            settled.append(message)
        except (QueueUnavailable, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            # Left in the queue: SQS's own redrive moves it to the DLQ after MAX_RECEIVES deliveries.
            tick.notes.append(f"message {message['MessageId']} not moved to the DLQ ({exc.__class__.__name__}): left in the queue")
    failed = delete(queue, settled)
    if failed:
        tick.notes.append(f"{len(failed)} messages not deleted (SQS said no): they come back and count as duplicates")


def _notifications_frame(changes, received_at: datetime) -> pd.DataFrame:
    columns = ["notification_id", "order_id", "marketplace_id", "change_type", "order_status", "purchase_date", "changed_at",
               "published_at", "received_at", "deliveries"]
    rows: dict[str, list] = {}
    for c in changes:
        if c.notification_id in rows:
            rows[c.notification_id][-1] += 1
        else:
            rows[c.notification_id] = [c.notification_id, c.order_id, c.marketplace_id, c.change_type, c.order_status,
                                       c.purchase_date, c.changed_at, c.published_at, received_at, 1]
    frame = pd.DataFrame(list(rows.values()), columns=columns)
    for name in ("changed_at", "published_at", "received_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    frame["purchase_date"] = pd.to_datetime(frame["purchase_date"]).dt.date
    return frame


def _record_rejects(conn: duckdb.DuckDBPyConnection, bad: list[tuple[dict, str]], dlq: bool, received_at: datetime) -> None:
    rows = [(m["MessageId"], hashlib.sha256((m.get("Body") or "").encode()).hexdigest(), (m.get("Body") or "")[:500], reason, dlq,
             received_at) for m, reason in bad]
    if rows:
        conn.executemany(
            "INSERT INTO ops.notification_rejects (message_id, body_sha256, body_start, reason, dead_lettered, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING", rows,
        )


def _poll(client: SpApiClient, warehouse: WarehouseResource, amazon: AmazonSellerResource, order_queue: NotificationQueueResource,
          cursor: Cursor, tick: Tick, now: datetime, because: str) -> None:
    """The fallback: a lastUpdatedAfter scan from where the ledger's coverage ends (new orders included: a new order's
    lastUpdatedTime is its creation), at most every poll_seconds."""
    last = clock.parse_instant(cursor.last_poll) if cursor.last_poll else None
    if last and (now - last).total_seconds() < order_queue.poll_seconds:
        tick.polled = f"{because}; next searchOrders scan due at {(last + timedelta(seconds=order_queue.poll_seconds)).isoformat()}"
        return
    if client.limiter.bucket("searchOrders").available() < 1:
        tick.polled = f"{because}; searchOrders budget spent, scanning next tick"
        return
    seen: set[str] = set()
    after = _scan_start({}, warehouse, amazon, now)
    try:
        scan = order_updates.scan_updates(client, warehouse, amazon.marketplace_ids, after, now, POLL_SOURCE,
                                          max_pages=MAX_PAGES_PER_TICK, never_wait=True, seen=seen)
    except ApiError as exc:
        tick.polled = f"{because}; the searchOrders scan failed ({exc.operation} HTTP {exc.status}), retried next tick"
        return
    _mark_fetched(warehouse, seen, "searchOrders:lastUpdated")
    cursor.last_poll = now.isoformat()
    tick.polled = (f"{because}; scanned lastUpdated {scan.after.isoformat()}..{scan.before.isoformat()}: {scan.orders_seen} orders, "
                   f"{scan.new_versions} new versions in {scan.calls} calls")


def _fetch_pending(client: SpApiClient, warehouse: WarehouseResource, amazon: AmazonSellerResource, getorder_max: int, tick: Tick) -> None:
    """The notified orders not fetched yet into raw: getOrder each while at most `getorder_max`, else one searchOrders."""
    with warehouse.connect() as conn:
        pending = conn.execute(
            "SELECT order_id, min(changed_at), max(purchase_date) FROM ops.notifications"
            " WHERE fetched_at IS NULL AND skipped_reason IS NULL GROUP BY order_id ORDER BY min(changed_at), order_id"
        ).fetchall()
    if not pending:
        return
    try:
        if len(pending) <= getorder_max:
            _by_get_order(client, warehouse, pending, tick)
        else:
            _by_search(client, warehouse, amazon, pending, tick)
    except ApiError as exc:
        # Recorded notifications stay pending: the next tick tries again; the tick still asks for runs of what it has.
        tick.notes.append(f"fetching changed orders failed ({exc.operation} HTTP {exc.status}); retried next tick")
    with warehouse.connect() as conn:
        tick.pending = count_of(conn, "SELECT count(DISTINCT order_id) FROM ops.notifications WHERE fetched_at IS NULL AND skipped_reason IS NULL")


def _by_get_order(client: SpApiClient, warehouse: WarehouseResource, pending: list[tuple], tick: Tick) -> None:
    # A sensor never sits out a refill: as many as getOrder's bucket holds now, the rest next tick.
    room = int(client.limiter.bucket("getOrder").available())
    batch = pending[:room]
    if len(batch) < len(pending):
        tick.notes.append(f"getOrder budget: {len(pending) - len(batch)} orders wait for the next tick")
    fetched, refused = [], []
    now = clock.now()
    for order_id, _, purchase_day in batch:
        # Buyer details only within Amazon's PII horizon, as every other fetch (orders.included_data).
        day_end = datetime.combine(purchase_day + timedelta(days=1), datetime.min.time(), now.tzinfo) if purchase_day else now
        got, no = orders.get_orders(client, [order_id], orders.included_data(day_end, now))
        fetched += got
        refused += no
    with warehouse.connect() as conn:
        conn.begin()
        store_orders(conn, fetched, "getOrder:notification", clock.now(), None, salt=warehouse.pii_salt)
        days = {order_id: day for order_id, _, day in batch}
        for r in refused:
            quarantine_refused(conn, [r], days.get(r.order_id), None)
        _mark(conn, [o.order_id for o in fetched], "getOrder")
        if refused:
            conn.executemany(
                "UPDATE ops.notifications SET skipped_reason = ? WHERE order_id = ? AND fetched_at IS NULL AND skipped_reason IS NULL",
                [(f"getOrder answered HTTP {r.status} {r.error_code or ''}; see ops.quarantine", r.order_id) for r in refused],
            )
        conn.commit()
    tick.orders_fetched, tick.refused, tick.fetched_by = len(fetched), len(refused), "getOrder"


def _by_search(client: SpApiClient, warehouse: WarehouseResource, amazon: AmazonSellerResource, pending: list[tuple], tick: Tick) -> None:
    if client.limiter.bucket("searchOrders").available() < 1:
        tick.notes.append(f"{len(pending)} orders pending but the searchOrders budget is spent; next tick")
        return
    now = clock.now()
    oldest = min((changed for _, changed, _ in pending if changed), default=now)
    after = max(oldest - CHANGE_SKEW, now - timedelta(days=max(amazon.lookback_days, 1)))
    seen: set[str] = set()
    order_updates.scan_updates(client, warehouse, amazon.marketplace_ids, after, now, NOTIFIED_SOURCE,
                               max_pages=MAX_PAGES_PER_TICK, never_wait=True, seen=seen)
    wanted = {order_id for order_id, _, _ in pending}
    _mark_fetched(warehouse, seen & wanted, "searchOrders:lastUpdated")
    tick.orders_fetched, tick.fetched_by = len(seen & wanted), "searchOrders"


def _mark_fetched(warehouse: WarehouseResource, order_ids: set[str], how: str) -> None:
    if order_ids:
        with warehouse.connect() as conn:
            _mark(conn, sorted(order_ids), how)


def _mark(conn: duckdb.DuckDBPyConnection, order_ids: list[str], how: str) -> None:
    if not order_ids:
        return
    conn.executemany(
        "UPDATE ops.notifications SET fetched_at = ?, fetched_by = ? WHERE order_id = ? AND fetched_at IS NULL",
        [(clock.now(), how, order_id) for order_id in order_ids],
    )


def _run_due(order_queue: NotificationQueueResource, cursor: Cursor, tick: Tick, now: datetime) -> bool:
    """False while the last run asked for is younger than run_every_seconds: what changed meanwhile waits in raw and
    goes in the next run (fewer runs, fewer Zoho credits, later records)."""
    if not order_queue.run_every_seconds or not cursor.last_run:
        return True
    due = clock.parse_instant(cursor.last_run) + timedelta(seconds=order_queue.run_every_seconds)
    if now >= due:
        return True
    tick.notes.append(f"next run due at {due.isoformat()} (AMAZON_ZOHO_INTRADAY_RUN_EVERY_SECONDS={order_queue.run_every_seconds})")
    return False


def _run_requests(context: dg.SensorEvaluationContext, warehouse: WarehouseResource, tick: Tick) -> list[dg.RunRequest]:
    """One run per span of days behind Zoho (sensors.partition_runs), keyed by the raw state it brings over."""
    bounds = partition_days(_partitions(context, _key(context, "amazon_raw/raw_orders")))
    if bounds is None:
        return []
    today = bounds[1]
    with warehouse.connect() as conn:
        behind = dict(late_days.behind_zoho(conn, late_days.LAST_ZOHO_PUSH, bounds[0], today, today - timedelta(days=INTRADAY_DAYS - 1)))
    requests = []
    for first, last in partition_runs(list(behind)):
        through = max(t for d, t in behind.items() if first <= d <= last)
        base = f"intraday:{first}:{last}:{through.isoformat()}"
        failed = len(context.instance.get_run_records(
            dg.RunsFilter(tags={KEY_TAG: base}, statuses=[dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]), limit=MAX_ATTEMPTS))
        if failed >= MAX_ATTEMPTS:
            tick.notes.append(f"{first}..{last} failed {failed} times bringing raw as of {through.isoformat()} over; left to the daily run")
            continue
        requests.append(dg.RunRequest(
            run_key=f"{base}:{failed}", tags={RANGE_START: first.isoformat(), RANGE_END: last.isoformat(), KEY_TAG: base},
            asset_selection=_daily_targets(context, ORDERS_DOWNSTREAM),
        ))
        tick.days.append(f"{first}..{last}" if last > first else str(first))
    tick.runs = len(requests)
    return requests


