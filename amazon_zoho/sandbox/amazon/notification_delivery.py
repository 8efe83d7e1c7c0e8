"""ORDER_CHANGE delivery: a background thread turns the generated orders' changes into notifications and sends them
to the subscribed destination's SQS queue, with boto3, against the SQS endpoint the sandbox is given
(config.sqs_endpoint_url: the embedded moto server, sandbox/sqs_server.py).

What is notified (the order timelines of datagen.py, read on the sandbox clock; nothing before the subscription):
    an order appearing (PENDING, its purchase instant)     OrderStatusChange, OrderStatus Pending
    UNSHIPPED, SHIPPED, CANCELLED                          OrderStatusChange, OrderStatus Unshipped / Shipped / Canceled
    a cancellation the buyer asked for                     BuyerRequestedChange first (the order still in its
                                                           status before, items IsBuyerRequestedCancel), then the
                                                           OrderStatusChange to Canceled, at the same instant
    TIP_FINALIZED (US delivery tips)                       DeliveryTipChange
    REFUNDED                                               nothing: ORDER_CHANGE has no change type for a refund
                                                           (OrderChangeTypeEnum), the order's status stays Shipped
Shape: /work/shared/reference/amazon/OrderChangeNotification.json (API-FACTS §12d), the bare notification JSON as
the SQS message body (API-FACTS §12d: UNVERIFIED, no primary source found). ChangeReason "Buyer Requested Cancel" is
the schema's example; "Order Status Change" and "Delivery Tip Change" are the sandbox's wording (UNVERIFIED).
NotificationLevel OrderLevel, all items in one payload (schema: OrderItems). The payload carries no buyer name,
e-mail or address, only the destination postal code.

Knobs (config.py): notification_delay_min/max_seconds, notification_duplicate_rate, notification_shuffle_seconds,
notification_silent, notification_malformed_rate (a malformed message sent beside the notification, which still
arrives: malformed input for the client's dead-letter path, nothing lost). Each notification's delay, duplicate
and malformed companion are drawn from a generator seeded with the seed and its NotificationId (itself derived
from the seed, subscription, order and change), so a run replays exactly. A duplicate reuses the NotificationId.
A send that fails (endpoint down, queue missing) stays pending, is retried on the next tick and counted with its
error (GET /_sandbox/notifications); a deleted subscription's pending notifications are dropped with that reason,
as Amazon stops sending for it.
"""

from __future__ import annotations

import bisect
import json
import random
import threading
import traceback
import uuid
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple

from ..config import SANDBOX_APPLICATION_ID, SANDBOX_SELLER_ID
from ..http import Request, Response
from . import notifications
from .datagen import CANCELLED, PENDING, SHIPPED, TIP_FINALIZED, UNSHIPPED, Order, orders_for_day
from .orders_view import order_json

# Wall seconds between ticks of the delivery thread.
TICK_SECONDS = 0.25
# The latest change of an order comes at most 5 days after its purchase (TIP_FINALIZED: shipped within 3 days, tip
# final 2 days later; datagen.py); refunds come later but are not notified.
LOOKBACK_DAYS = 6
# A clock moved further than this at once (a test pinning it weeks ahead) is not replayed change by change.
MAX_WINDOW = timedelta(days=7)
_NAMESPACE = uuid.UUID("5b1f8a52-63a4-4e34-9a43-0c7f2d0e8a15")
_STATUS = {PENDING: "Pending", UNSHIPPED: "Unshipped", SHIPPED: "Shipped", CANCELLED: "Canceled"}
_REASON = {"OrderStatusChange": "Order Status Change", "BuyerRequestedChange": "Buyer Requested Cancel",
           "DeliveryTipChange": "Delivery Tip Change"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notification_outbox (
    notification_id TEXT NOT NULL,
    copy INTEGER NOT NULL,          -- 0: the notification, 1: its duplicate, 2: a malformed message beside it
    subscription_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    change_type TEXT NOT NULL,
    changed_at REAL NOT NULL,
    due REAL NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,            -- pending, sent, dropped
    sent_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    PRIMARY KEY (notification_id, copy)
);
CREATE INDEX IF NOT EXISTS notification_outbox_due ON notification_outbox(state, due);
"""


class Change(NamedTuple):
    at: datetime
    change_type: str
    status: str  # the order's status (datagen's) the notification shows
    index: int  # position of the event in the order's timeline
    buyer_cancel: bool = False


def order_changes(order: Order) -> list[Change]:
    out: list[Change] = []
    status = PENDING
    for index, (at, kind) in enumerate(order.events):
        if kind == TIP_FINALIZED:
            out.append(Change(at, "DeliveryTipChange", status, index))
        elif kind in _STATUS:
            if kind == CANCELLED and order.cancel_requester == "BUYER":
                out.append(Change(at, "BuyerRequestedChange", status, index, buyer_cancel=True))
            status = kind
            out.append(Change(at, "OrderStatusChange", status, index))
    return out


@lru_cache(maxsize=256)
def _day_changes(seed: int, orders_per_day: int, marketplace_id: str, ordinal: int) -> tuple[list[float], list[tuple[Order, Change]]]:
    """Every change of the orders purchased on one day in one marketplace, sorted by time (with their timestamps, to bisect)."""
    config = _Config(seed, orders_per_day)
    pairs = sorted(((o, c) for o in orders_for_day(config, marketplace_id, date.fromordinal(ordinal)) for c in order_changes(o)),
                   key=lambda p: (p[1].at, p[0].order_id, p[1].index, p[1].change_type != "BuyerRequestedChange"))
    return [c.at.timestamp() for _, c in pairs], pairs


class _Config(NamedTuple):
    seed: int
    orders_per_day: int


def changes_between(config, marketplace_ids, start: float, end: float) -> list[tuple[Order, Change]]:
    """Changes in (start, end], in time order, of orders in these marketplaces."""
    out = []
    first = datetime.fromtimestamp(start, timezone.utc).date() - timedelta(days=LOOKBACK_DAYS)
    last = datetime.fromtimestamp(end, timezone.utc).date()
    for marketplace_id in marketplace_ids:
        day = first
        while day <= last:
            times, pairs = _day_changes(config.seed, config.orders_per_day, marketplace_id, day.toordinal())
            out.extend(pairs[bisect.bisect_right(times, start):bisect.bisect_right(times, end)])
            day += timedelta(days=1)
    out.sort(key=lambda p: (p[1].at, p[0].order_id, p[1].index, p[1].change_type != "BuyerRequestedChange"))
    return out


def iso_ms(moment: datetime) -> str:
    """As the schema's examples write instants: "2020-01-11T00:09:53.109Z"."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def notification_json(order: Order, change: Change, subscription_id: str, notification_id: str, published: datetime) -> dict:
    view = order_json(order, change.status, change.at, {"FULFILLMENT"})["fulfillment"]
    items = order.items if change.status == PENDING else order.standing_items
    shipped = change.status == SHIPPED
    summary: dict = {
        "MarketplaceId": order.marketplace_id,
        "OrderStatus": _STATUS[change.status],
        "PurchaseDate": iso_ms(order.created),
        "DestinationPostalCode": order.buyer.postal_code,
        "FulfillmentType": "AFN" if order.afn else "MFN",
        "OrderType": "StandardOrder",
        "NumberOfItemsShipped": sum(i.quantity for i in items) if shipped else 0,
        "NumberOfItemsUnshipped": sum(i.quantity for i in items) if change.status in (PENDING, UNSHIPPED) else 0,
    }
    if not order.afn:  # the schema: delivery dates "Returned only for seller-fulfilled orders", the latest not while Pending/Canceled
        summary["EarliestDeliveryDate"] = _ms(view["deliverByWindow"]["earliestDateTime"])
        if change.status not in (PENDING, CANCELLED):
            summary["LatestDeliveryDate"] = _ms(view["deliverByWindow"]["latestDateTime"])
    summary["EarliestShipDate"] = _ms(view["shipByWindow"]["earliestDateTime"])
    summary["LatestShipDate"] = _ms(view["shipByWindow"]["latestDateTime"])
    if order.afn and order.service_level == "NEXT_DAY":
        summary["OrderPrograms"] = ["Prime"]  # as orders_view marks the order PRIME
    summary["OrderItems"] = [
        {"OrderItemId": i.order_item_id, "SellerSKU": i.product.sku, "SupplySourceId": None, "Quantity": i.quantity,
         "QuantityShipped": i.quantity if shipped else 0, "IsBuyerRequestedCancel": change.buyer_cancel}
        for i in items
    ]
    published_at = iso_ms(published)
    return {
        "NotificationVersion": "1.0",
        "NotificationType": notifications.ORDER_CHANGE,
        "PayloadVersion": notifications.PAYLOAD_VERSIONS[notifications.ORDER_CHANGE],
        "EventTime": published_at,
        "Payload": {"OrderChangeNotification": {
            "NotificationLevel": "OrderLevel",
            "SellerId": SANDBOX_SELLER_ID,
            "AmazonOrderId": order.order_id,
            "OrderChangeType": change.change_type,
            "OrderChangeTrigger": {"TimeOfOrderChange": iso_ms(change.at), "ChangeReason": _REASON[change.change_type]},
            "Summary": summary,
        }},
        "NotificationMetadata": {"ApplicationId": SANDBOX_APPLICATION_ID, "SubscriptionId": subscription_id,
                                 "PublishTime": published_at, "NotificationId": notification_id},
    }


def _ms(iso_seconds: str) -> str:
    return iso_ms(datetime.fromisoformat(iso_seconds.replace("Z", "+00:00")))


def malformed(body: str, kind: float) -> str:
    """A message a client must set aside (dead-letter) rather than act on: half of them JSON cut short, the others
    JSON that lacks what the schema requires (AmazonOrderId and the NotificationId)."""
    if kind < 0.5:
        return body[: len(body) // 2]
    broken = json.loads(body)
    del broken["Payload"]["OrderChangeNotification"]["AmazonOrderId"]
    del broken["NotificationMetadata"]["NotificationId"]
    return json.dumps(broken)


def parse_sqs_arn(arn: str) -> tuple[str, str, str]:
    """arn:aws:sqs:<region>:<account>:<queue name> -> (region, account, name)."""
    _, _, _, region, account, name = arn.split(":", 5)
    return region, account, name


class Delivery:
    """The thread (and `tick()` for tests: POST /_sandbox/notifications/deliver) that notifies and sends."""

    def __init__(self, app):
        self.app = app
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._clients: dict[tuple[str, str], object] = {}
        self._queue_urls: dict[tuple[str, str], str] = {}
        self.last_error: str | None = None
        self.failed_attempts = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-notifications", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def reset(self) -> None:
        with self._lock:
            self._queue_urls.clear()
            self.last_error, self.failed_attempts = None, 0

    def _run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the thread must outlive one bad tick, and say why it failed
                traceback.print_exc()
                self.last_error = f"tick failed: {exc}"

    # -- one round ---------------------------------------------------------------------------
    def tick(self) -> dict:
        with self._lock:
            now = self.app.now()
            self._notify(now)
            self._send_due(now)
            return self.stats()

    def _notify(self, now: float) -> None:
        cfg = self.app.config
        for sub in notifications.subscriptions(self.app, notifications.ORDER_CHANGE):
            start = max(sub["watermark"], now - MAX_WINDOW.total_seconds())
            if now <= start:
                continue
            event_filter = (json.loads(sub["processing_directive"] or "{}")).get("eventFilter") or {}
            wanted_types = set(event_filter.get("orderChangeTypes") or notifications.ORDER_CHANGE_TYPES)
            markets = [m for m in cfg.marketplaces if m in (event_filter.get("marketplaceIds") or cfg.marketplaces)]
            rows = []
            for order, change in changes_between(cfg, markets, start, now):
                if change.change_type in wanted_types:
                    rows.extend(self._rows(sub["subscription_id"], order, change))
            with self.app.store.transaction():
                self.app.store.executemany(
                    "INSERT OR IGNORE INTO notification_outbox(notification_id, copy, subscription_id, order_id, change_type,"
                    " changed_at, due, body, state, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self.app.store.execute("UPDATE notification_subscriptions SET watermark = ? WHERE subscription_id = ?",
                                       (now, sub["subscription_id"]))

    def _rows(self, subscription_id: str, order: Order, change: Change) -> list[tuple]:
        cfg = self.app.config
        notification_id = str(uuid.uuid5(_NAMESPACE, f"{cfg.seed}:{subscription_id}:{order.order_id}:{change.index}:{change.change_type}"))
        rng = random.Random(f"notify:{cfg.seed}:{notification_id}")
        # Always the same draws, so turning one knob leaves the others' outcomes as they were.
        delay, shuffle, dup, dup_delay, dup_shuffle, bad, bad_kind = (rng.random() for _ in range(7))
        low, high = sorted((cfg.notification_delay_min_seconds, cfg.notification_delay_max_seconds))
        changed = change.at.timestamp()
        due = changed + low + delay * (high - low) + shuffle * cfg.notification_shuffle_seconds
        body = json.dumps(notification_json(order, change, subscription_id, notification_id, change.at))
        state, note = ("dropped", "notification_silent") if cfg.notification_silent else ("pending", None)
        rows = [(notification_id, 0, subscription_id, order.order_id, change.change_type, changed, due, body, state, note)]
        if dup < cfg.notification_duplicate_rate:
            again = due + low + dup_delay * (high - low) + dup_shuffle * cfg.notification_shuffle_seconds
            rows.append((notification_id, 1, subscription_id, order.order_id, change.change_type, changed, again, body, state, note))
        if bad < cfg.notification_malformed_rate:
            rows.append((notification_id, 2, subscription_id, order.order_id, change.change_type, changed, due, malformed(body, bad_kind), state, note))
        return rows

    def _send_due(self, now: float) -> None:
        store = self.app.store
        due = store.query("SELECT o.notification_id, o.copy, o.subscription_id, o.body FROM notification_outbox o"
                          " WHERE o.state = 'pending' AND o.due <= ? ORDER BY o.due, o.notification_id, o.copy LIMIT 1000", (now,))
        if not due:
            return
        arns = {s["subscription_id"]: s["arn"] for s in notifications.subscriptions(self.app)}
        endpoint = self.app.config.sqs_endpoint_url
        for row in due:
            key = (row["notification_id"], row["copy"])
            if row["subscription_id"] not in arns:
                self._mark(key, "dropped", "subscription deleted")
                continue
            if self.app.config.notification_silent:
                self._mark(key, "dropped", "notification_silent")
                continue
            if not endpoint:
                self._failed(key, "no SQS endpoint: the sandbox's sqs_endpoint_url is not set")
                return
            text = row["body"]
            if row["copy"] != 2:  # a malformed message goes as it is
                body = json.loads(text)
                body["EventTime"] = body["NotificationMetadata"]["PublishTime"] = iso_ms(datetime.fromtimestamp(self.app.now(), timezone.utc))
                text = json.dumps(body)
            try:
                self._send(endpoint, arns[row["subscription_id"]], text)
            except Exception as exc:  # noqa: BLE001 - botocore's errors and a refused connection alike: retried next tick
                self._failed(key, f"{type(exc).__name__}: {exc}"[:500])
                return  # the rest would meet the same endpoint; they keep their order for the next tick
            self._mark(key, "sent", None)

    def _send(self, endpoint: str, arn: str, body: str) -> None:
        region, account, name = parse_sqs_arn(arn)
        client = self._client(endpoint, region)
        url = self._queue_urls.get((endpoint, arn))
        if url is None:
            url = client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            self._queue_urls[(endpoint, arn)] = url
        try:
            client.send_message(QueueUrl=url, MessageBody=body)
        except Exception:
            self._queue_urls.pop((endpoint, arn), None)  # a queue deleted and made again has a new URL
            raise

    def _client(self, endpoint: str, region: str):
        key = (endpoint, region)
        if key not in self._clients:
            import boto3  # only a sandbox with subscribers pays for importing it
            from botocore.config import Config

            loopback = any(h in endpoint for h in ("://127.0.0.1", "://localhost", "://[::1]"))
            # moto accepts any keys; a real endpoint gets boto3's own credential chain.
            keys = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"} if loopback else {}
            self._clients[key] = boto3.session.Session().client(
                "sqs", endpoint_url=endpoint, region_name=region,
                config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}), **keys)
        return self._clients[key]

    def _mark(self, key: tuple[str, int], state: str, note: str | None) -> None:
        self.app.store.execute("UPDATE notification_outbox SET state = ?, note = ?, sent_at = ? WHERE notification_id = ? AND copy = ?",
                               (state, note, self.app.now(), *key))

    def _failed(self, key: tuple[str, int], error: str) -> None:
        self.failed_attempts += 1
        self.last_error = error
        self.app.store.execute("UPDATE notification_outbox SET attempts = attempts + 1, note = ? WHERE notification_id = ? AND copy = ?",
                               (error, *key))

    def stats(self) -> dict:
        rows = self.app.store.query("SELECT state, copy, COUNT(*) AS n FROM notification_outbox GROUP BY state, copy")
        count = {(r["state"], r["copy"]): r["n"] for r in rows}
        return {
            "sqs_endpoint_url": self.app.config.sqs_endpoint_url or None,
            "pending": sum(n for (state, _), n in count.items() if state == "pending"),
            "sent": sum(n for (state, _), n in count.items() if state == "sent"),
            "duplicates_sent": count.get(("sent", 1), 0),
            "malformed_sent": count.get(("sent", 2), 0),
            "dropped": sum(n for (state, _), n in count.items() if state == "dropped"),
            "failed_attempts": self.failed_attempts,
            "last_error": self.last_error,
        }


def register(app) -> None:
    app.store.ensure(_SCHEMA)
    delivery = Delivery(app)
    app.notification_delivery = delivery
    app.workers.append(delivery)
    app.on_reset(delivery.reset)
    r = app.router
    r.add("GET", "/_sandbox/notifications", "control", "notifications_stats", lambda req: Response.json(200, delivery.stats()))
    r.add("POST", "/_sandbox/notifications/deliver", "control", "notifications_deliver", lambda req: Response.json(200, delivery.tick()))
    r.add("GET", "/_sandbox/notifications/outbox", "control", "notifications_outbox", lambda req: outbox(app, req))


def outbox(app, req: Request) -> Response:
    """The notifications made so far (for tests and benchmarks: which order changed when, when it was due, its state)."""
    rows = app.store.query("SELECT notification_id, copy, subscription_id, order_id, change_type, changed_at, due, state, sent_at,"
                           " attempts, note FROM notification_outbox ORDER BY due, notification_id, copy")
    return Response.json(200, {"notifications": rows})
