"""ORDER_CHANGE delivery from the sandbox to a moto SQS queue: created and changed orders arrive, each notification
valid against Amazon's schema (fixtures/amazon_order_change_notification_schema.json, closed so an extra field
fails too) and agreeing with the sandbox's Orders API; the eventFilter, delay, duplicate, shuffle and silent knobs;
a queue that is missing at first; a deleted subscription. The clock stands still and moves only when a test says."""

import json
from collections import Counter
from datetime import datetime, timedelta

import boto3
import requests

from amazon_zoho import clock
from amazon_zoho.sandbox import Sandbox
from amazon_zoho.sandbox.amazon.datagen import CANCELLED, orders_for_day
from amazon_zoho.sandbox.config import SandboxConfig
from amazon_zoho.sandbox.sqs_server import sqs_server
from amazon_zoho_tests.sandbox.notifications_fixtures import deliver, drain, notification_errors, queue, running, subscribe, token

START = "2026-03-10T08:00:00+00:00"
DE = "A1PA6795UKMFR9"
STATUS = {"PENDING": "Pending", "UNSHIPPED": "Unshipped", "SHIPPED": "Shipped", "CANCELLED": "Canceled"}
NOW_DELIVERED = {"notification_delay_min_seconds": 0, "notification_delay_max_seconds": 0}


def _change(body: dict) -> dict:
    return body["Payload"]["OrderChangeNotification"]


def _at(body: dict) -> str:
    return _change(body)["OrderChangeTrigger"]["TimeOfOrderChange"]


def _truth(sb, after: str, before: str) -> list[dict]:
    answer = requests.get(sb.url + "/_sandbox/amazon/truth/orders", params={"createdAfter": after, "createdBefore": before}, timeout=30)
    return answer.json()["orders"]


def test_orders_created_and_changed_after_subscribing_arrive_once_each_valid_and_as_the_orders_api_shows_them(tmp_path):
    with clock.pinned(START, frozen=True), running(tmp_path, **NOW_DELIVERED) as (sb, sqs):
        url, arn = queue(sqs)
        _, subscription = subscribe(sb, arn)
        subscribed = clock.now()
        clock.advance(timedelta(hours=6))
        stats = deliver(sb)
        bodies = drain(sqs, url)
        truth = _truth(sb, (subscribed - timedelta(days=7)).isoformat(), clock.now().isoformat())
        seller = token(sb)
        latest = {}
        for body in bodies:
            order_id = _change(body)["AmazonOrderId"]
            # A buyer's cancellation brings two notifications of one instant; the status change is the later.
            latest[order_id] = max(latest.get(order_id, body), body, key=lambda b: (_at(b), _change(b)["OrderChangeType"] == "OrderStatusChange"))
        sample = sorted(latest)[:5]
        shown = {o: requests.get(f"{sb.url}/orders/2026-01-01/orders/{o}", headers=seller, timeout=10).json()["order"] for o in sample}
    assert stats["sent"] == len(bodies) > 20 and stats["pending"] == stats["failed_attempts"] == 0
    assert [e for b in bodies for e in notification_errors(b)] == []
    ids = Counter(b["NotificationMetadata"]["NotificationId"] for b in bodies)
    assert max(ids.values()) == 1, "a notification sent twice with duplicates off"
    assert {b["NotificationMetadata"]["SubscriptionId"] for b in bodies} == {subscription}
    # Every order created after subscribing is notified as Pending; every order whose last change falls after it
    # is notified with the status it has now; nothing from before the subscription.
    created = {o["orderId"] for o in truth if o["createdTime"] > subscribed.isoformat().replace("+00:00", "Z")}
    pending = {_change(b)["AmazonOrderId"] for b in bodies if _change(b)["Summary"]["OrderStatus"] == "Pending"}
    assert created and pending == created
    changed = {o["orderId"]: o for o in truth if o["lastUpdatedTime"] > subscribed.isoformat().replace("+00:00", "Z")}
    assert set(latest) == set(changed)
    for order_id, body in latest.items():
        assert _change(body)["Summary"]["OrderStatus"] == STATUS[changed[order_id]["status"]], order_id
    assert all(_at(b) > subscribed.isoformat()[:19] for b in bodies)
    # The Orders API agrees with the latest notification of each order: same last change, same status.
    for order_id, order in shown.items():
        assert order["lastUpdatedTime"][:19] == _at(latest[order_id])[:19]
        assert _change(latest[order_id])["Summary"]["MarketplaceId"] == order["salesChannel"]["marketplaceId"]


def _buyer_cancelled(config: SandboxConfig, near: datetime):
    for day in range(1, 30):
        for order in orders_for_day(config, DE, (near - timedelta(days=day)).date()):
            if order.cancel_requester == "BUYER" and order.events[-1][1] == CANCELLED:
                return order
    raise AssertionError("no buyer-cancelled order in a month of DE orders")


def test_a_buyer_s_cancellation_arrives_as_buyer_requested_change_then_the_status_change(tmp_path):
    order = _buyer_cancelled(SandboxConfig(), clock.parse_instant(START))
    cancelled_at = order.events[-1][0]
    with clock.pinned(cancelled_at - timedelta(seconds=30), frozen=True), running(tmp_path, **NOW_DELIVERED) as (sb, sqs):
        url, arn = queue(sqs)
        subscribe(sb, arn, {"marketplaceIds": [DE]})
        clock.advance(60)
        deliver(sb)
        mine = [_change(b) for b in drain(sqs, url) if _change(b)["AmazonOrderId"] == order.order_id]
    assert [(c["OrderChangeType"], c["Summary"]["OrderStatus"]) for c in mine][-2:] == [
        ("BuyerRequestedChange", STATUS[order.events[-2][1]]), ("OrderStatusChange", "Canceled")]
    assert mine[-2]["OrderChangeTrigger"]["ChangeReason"] == "Buyer Requested Cancel"
    assert all(i["IsBuyerRequestedCancel"] for i in mine[-2]["Summary"]["OrderItems"])


def test_the_event_filter_limits_marketplaces_and_change_types(tmp_path):
    with clock.pinned(START, frozen=True), running(tmp_path, **NOW_DELIVERED) as (sb, sqs):
        url, arn = queue(sqs)
        subscribe(sb, arn, {"marketplaceIds": [DE], "orderChangeTypes": ["OrderStatusChange"]})
        clock.advance(timedelta(hours=12))
        deliver(sb)
        bodies = drain(sqs, url)
        everything = requests.get(sb.url + "/_sandbox/amazon/truth/orders",
                                  params={"createdAfter": "2026-03-03T00:00:00Z"}, timeout=30).json()["orders"]
    assert bodies, "a filter that lets nothing through proves nothing"
    assert {_change(b)["Summary"]["MarketplaceId"] for b in bodies} == {DE}
    assert {_change(b)["OrderChangeType"] for b in bodies} == {"OrderStatusChange"}
    assert {o["marketplaceId"] for o in everything} > {DE}, "other marketplaces had orders the filter kept out"


def _outbox(sb) -> list[dict]:
    return requests.get(sb.url + "/_sandbox/notifications/outbox", timeout=30).json()["notifications"]


def test_a_notification_arrives_its_delay_after_the_change_and_not_before(tmp_path):
    knobs = {"notification_delay_min_seconds": 1800, "notification_delay_max_seconds": 1800}
    with clock.pinned(START, frozen=True), running(tmp_path, **knobs) as (sb, sqs):
        url, arn = queue(sqs)
        subscribe(sb, arn)
        clock.advance(timedelta(hours=3))
        early = deliver(sb)
        rows = _outbox(sb)
        now = clock.now().timestamp()
        clock.advance(1801)
        deliver(sb)
        later = {r["notification_id"]: r for r in _outbox(sb)}
        bodies = drain(sqs, url)
    assert all(r["due"] == r["changed_at"] + 1800 for r in rows)
    waiting = [r for r in rows if r["state"] == "pending"]
    assert waiting and all(r["changed_at"] > now - 1800 for r in waiting)
    assert all(r["changed_at"] <= now - 1800 for r in rows if r["state"] == "sent")
    assert early["sent"] > 0 and all(later[r["notification_id"]]["state"] == "sent" for r in waiting)
    # What waits now changed in the last half hour, after the first round.
    assert all(r["changed_at"] > now for r in later.values() if r["state"] == "pending")
    assert len(bodies) == sum(r["state"] == "sent" for r in later.values())


def test_duplicates_reuse_their_notification_id_and_a_seed_replays_the_same_deliveries(tmp_path):
    knobs = {**NOW_DELIVERED, "notification_duplicate_rate": 0.5, "notification_shuffle_seconds": 300}
    runs = []
    for n in range(2):
        with clock.pinned(START, frozen=True), running(tmp_path / str(n), **knobs) as (sb, sqs):
            url, arn = queue(sqs)
            subscribe(sb, arn)
            clock.advance(timedelta(hours=6))
            stats = deliver(sb)
            runs.append(([(r["notification_id"], r["copy"], r["due"]) for r in _outbox(sb)], drain(sqs, url), stats))
    (outbox, bodies, stats), (outbox_again, _, _) = runs
    assert outbox == outbox_again
    ids = Counter(b["NotificationMetadata"]["NotificationId"] for b in bodies)
    twice = [i for i, n in ids.items() if n == 2]
    assert set(ids.values()) == {1, 2} and stats["duplicates_sent"] == len(twice)
    assert 0.25 < len(twice) / len(ids) < 0.75
    for notification_id in twice:
        copies = [b for b in bodies if b["NotificationMetadata"]["NotificationId"] == notification_id]
        assert copies[0]["Payload"] == copies[1]["Payload"]


def test_the_shuffle_window_delivers_close_changes_out_of_order(tmp_path):
    orders = []
    for n, shuffle in enumerate((0, 900)):
        knobs = {**NOW_DELIVERED, "notification_shuffle_seconds": shuffle}
        with clock.pinned(START, frozen=True), running(tmp_path / str(n), **knobs) as (sb, sqs):
            url, arn = queue(sqs)
            subscribe(sb, arn)
            clock.advance(timedelta(hours=6))
            deliver(sb)
            orders.append([_at(b) for b in drain(sqs, url)])
    in_order, shuffled = orders
    assert in_order == sorted(in_order)
    assert shuffled != sorted(shuffled) and set(shuffled) <= set(in_order)
    # How far back a notification can arrive is bounded by the window: none is overtaken by one 900 s later.
    seconds = [datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in shuffled]
    assert all(later >= earlier - 900 for i, earlier in enumerate(seconds) for later in seconds[i + 1:])


def test_a_silent_queue_gets_nothing_until_the_knob_is_off_and_then_only_new_changes(tmp_path):
    with clock.pinned(START, frozen=True), running(tmp_path, **NOW_DELIVERED, notification_silent=True) as (sb, sqs):
        url, arn = queue(sqs)
        subscribe(sb, arn)
        clock.advance(timedelta(hours=3))
        silent = deliver(sb)
        nothing = drain(sqs, url)
        requests.post(sb.url + "/_sandbox/config", json={"notification_silent": False}, timeout=10)
        back = clock.now()
        clock.advance(timedelta(hours=3))
        deliver(sb)
        after = drain(sqs, url)
    assert nothing == [] and silent["dropped"] > 0 and silent["sent"] == 0
    assert after and all(_at(b) > back.isoformat()[:19] for b in after)


def test_a_queue_missing_at_first_gets_every_notification_once_it_exists(tmp_path):
    with clock.pinned(START, frozen=True), running(tmp_path, **NOW_DELIVERED) as (sb, sqs):
        arn = "arn:aws:sqs:eu-west-1:123456789012:later"
        subscribe(sb, arn)
        clock.advance(timedelta(hours=2))
        failing = deliver(sb)
        failing = deliver(sb)
        url, _ = queue(sqs, "later")
        done = deliver(sb)
        bodies = drain(sqs, url)
    assert failing["sent"] == 0 and failing["failed_attempts"] >= 2 and "NonExistentQueue" in failing["last_error"]
    assert done["pending"] == 0 and done["sent"] == len(bodies) > 0
    assert len({b["NotificationMetadata"]["NotificationId"] for b in bodies}) == len(bodies)


def test_a_deleted_subscription_stops_its_notifications(tmp_path):
    knobs = {"notification_delay_min_seconds": 3600, "notification_delay_max_seconds": 3600}
    with clock.pinned(START, frozen=True), running(tmp_path, **knobs) as (sb, sqs):
        url, arn = queue(sqs)
        _, subscription = subscribe(sb, arn)
        clock.advance(timedelta(hours=2))
        deliver(sb)
        requests.delete(f"{sb.url}/notifications/v1/subscriptions/ORDER_CHANGE/{subscription}",
                        headers=token(sb, grantless=True), timeout=10).raise_for_status()
        clock.advance(timedelta(hours=2))
        stats = deliver(sb)
        bodies = drain(sqs, url)
        notes = {r["note"] for r in _outbox(sb) if r["state"] == "dropped"}
    assert stats["pending"] == 0 and stats["dropped"] > 0 and notes == {"subscription deleted"}
    assert len(bodies) == stats["sent"]


def test_the_background_thread_delivers_without_being_asked(tmp_path):
    with clock.pinned(START), running(tmp_path, **NOW_DELIVERED) as (sb, sqs):  # the clock runs, as in make dev
        url, arn = queue(sqs)
        subscribe(sb, arn)
        clock.advance(timedelta(hours=2))
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=10).get("Messages", [])
    assert got, "nothing arrived within 10 s though two hours of orders changed"


def test_notifications_waiting_when_the_sandbox_stops_are_sent_after_it_restarts(tmp_path):
    knobs = {"notification_delay_min_seconds": 3600, "notification_delay_max_seconds": 3600}
    with clock.pinned(START, frozen=True), sqs_server() as endpoint:
        config = SandboxConfig(sqs_endpoint_url=endpoint, **knobs)
        with Sandbox(port=0, config=config, state_dir=tmp_path) as sb:
            sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
            url, arn = queue(sqs)
            subscribe(sb, arn)
            clock.advance(timedelta(hours=2))
            before = deliver(sb)
        clock.advance(timedelta(hours=1, seconds=1))
        with Sandbox(port=0, config=config, state_dir=tmp_path) as sb:
            after = deliver(sb)
            waited = {r["notification_id"] for r in _outbox(sb) if r["changed_at"] <= clock.now().timestamp() - 3600}
        bodies = drain(sqs, url)
    assert before["pending"] > 0 and before["sent"] > 0
    assert {b["NotificationMetadata"]["NotificationId"] for b in bodies} == waited
    assert after["sent"] == len(bodies), (before, after)


def test_a_delivery_tip_finalized_arrives_as_delivery_tip_change(tmp_path):
    us = SandboxConfig(marketplaces=["ATVPDKIKX0DER"], orders_per_day=400)
    start = clock.parse_instant(START)
    order = next(o for d in range(3, 40) for o in orders_for_day(us, "ATVPDKIKX0DER", (start - timedelta(days=d)).date())
                 if o.event_time("TIP_FINALIZED"))
    finalized = order.event_time("TIP_FINALIZED")
    with clock.pinned(finalized - timedelta(seconds=5), frozen=True), \
            running(tmp_path, **NOW_DELIVERED, marketplaces=["ATVPDKIKX0DER"], orders_per_day=400) as (sb, sqs):
        url, arn = queue(sqs)
        subscribe(sb, arn, {"orderChangeTypes": ["DeliveryTipChange"]})
        clock.advance(10)
        deliver(sb)
        bodies = drain(sqs, url)
    assert [(_change(b)["AmazonOrderId"], _change(b)["OrderChangeType"], _change(b)["Summary"]["OrderStatus"]) for b in bodies] == [
        (order.order_id, "DeliveryTipChange", "Shipped")]
    assert notification_errors(bodies[0]) == []


def test_malformed_messages_come_beside_the_notifications_which_all_still_arrive(tmp_path):
    runs = []
    for n, rate in enumerate((0.0, 0.5)):
        with clock.pinned(START, frozen=True), running(tmp_path / str(n), **NOW_DELIVERED, notification_malformed_rate=rate) as (sb, sqs):
            url, arn = queue(sqs)
            subscribe(sb, arn)
            clock.advance(timedelta(hours=6))
            stats = deliver(sb)
            texts = []
            while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                texts += [m["Body"] for m in got]
                sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
            runs.append((stats, texts))
    (_, clean), (stats, mixed) = runs
    good, cut, invalid = [], [], []
    for text in mixed:
        try:
            body = json.loads(text)
        except ValueError:
            cut.append(text)
            continue
        (invalid if notification_errors(body) else good).append(body)
    assert sorted(b["NotificationMetadata"]["NotificationId"] for b in good) == sorted(
        json.loads(t)["NotificationMetadata"]["NotificationId"] for t in clean)
    assert cut and invalid and stats["malformed_sent"] == len(cut) + len(invalid)
    assert 0.25 < stats["malformed_sent"] / len(good) < 0.75
