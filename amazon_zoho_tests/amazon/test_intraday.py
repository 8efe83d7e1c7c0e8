"""Intraday orders (issue #15): ORDER_CHANGE notifications through a real SQS endpoint (moto's server mode, started
here) into ops.notifications, the changed orders fetched from the sandbox, and runs that bring today's open
partition to the sandbox's Zoho; polling takes over when the queue is unreachable or silent.

Messages are shaped exactly like Amazon's own example (fixtures/order_change_notification.json, from
OrderChangeNotification.json), with the order, marketplace and times of a sandbox order put in.
"""

import copy
import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import requests
from dagster._core.storage.dagster_run import DagsterRun
from moto.server import ThreadedMotoServer

from amazon_zoho import clock
from amazon_zoho.amazon import intraday
from amazon_zoho.amazon.intraday import KEY_TAG, MAX_ATTEMPTS, Tick, consume, order_change_notifications
from amazon_zoho.amazon.notifications import NOTIFICATIONS_SCOPE, get_destinations, get_subscription, setup
from amazon_zoho.amazon.order_change import Malformed, parse
from amazon_zoho.amazon.queue import REASON_ATTRIBUTE, NotificationQueueResource, ensure_queues
from amazon_zoho.definitions import defs
from amazon_zoho.ops.schedules import daily_requests
from amazon_zoho.partitions import daily_partitions, open_days, partition_days
from amazon_zoho.resources import queue_resource
from amazon_zoho.settings import Settings, load
from amazon_zoho_tests.assets import asset
from amazon_zoho_tests.truth import day_ago, run_days, truth_orders, zoho_records
from amazon_zoho_tests.zoho.helpers import assert_totals_tie_out

EXAMPLE = json.loads((Path(__file__).parent / "fixtures" / "order_change_notification.json").read_text())["example"]
ASSETS = list(defs.assets)
MARKETPLACES = Settings.from_env({}).marketplace_ids


def notification(order: dict, notification_id: str, status: str = "Unshipped") -> str:
    """Amazon's example with a sandbox order's id, marketplace, purchase and change times put in."""
    body = copy.deepcopy(EXAMPLE)
    change = body["Payload"]["OrderChangeNotification"]
    change["AmazonOrderId"] = order["orderId"]
    change["OrderChangeType"] = "OrderStatusChange"
    change["OrderChangeTrigger"] = {"TimeOfOrderChange": order["lastUpdatedTime"], "ChangeReason": "Order status changed"}
    change["Summary"].update(MarketplaceId=order["marketplaceId"], PurchaseDate=order["createdTime"], OrderStatus=status)
    body["NotificationMetadata"]["NotificationId"] = notification_id
    return json.dumps(body)


@pytest.fixture
def sqs_endpoint(monkeypatch):
    # boto3 signs every request; moto accepts any credentials (its docs use these).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def order_queue(sqs_endpoint) -> NotificationQueueResource:
    probe = NotificationQueueResource(endpoint_url=sqs_endpoint, region="us-east-1")
    url = ensure_queues(probe.client(), "orders-test").url
    # Tests do not wait out SQS's long poll on an empty queue.
    return NotificationQueueResource(queue_url=url, endpoint_url=sqs_endpoint, region="us-east-1", getorder_max=5, long_poll_seconds=0)


@pytest.fixture
def queue(order_queue):
    return order_queue.open()


def _with(resource, **changes):
    """The resource with `changes`, built anew: Dagster initializes a resource from the config it was constructed with,
    so a pydantic model_copy's changes would not reach the sensor."""
    return type(resource)(**{**resource.model_dump(), **changes})


def send(queue, body: str) -> None:
    queue.sqs.send_message(QueueUrl=queue.url, MessageBody=body)


def tick(resources, order_queue, instance, cursor=None):
    context = dg.build_sensor_context(cursor=cursor, instance=instance, resources={**resources, "order_queue": order_queue},
                                      definitions=defs)
    return order_change_notifications(context)


def query(project_env, sql: str) -> list[tuple]:
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        return conn.execute(sql).fetchall()


def todays_orders(sandbox, n: int) -> list[dict]:
    orders = truth_orders(sandbox.url, day_ago(0), day_ago(0))
    assert len(orders) >= n, "the sandbox has placed too few orders today for this test"
    return orders[:n]


def test_amazon_s_example_parses_and_what_is_not_a_notification_is_refused_with_the_reason():
    change = parse(json.dumps(EXAMPLE))
    assert (change.notification_id, change.order_id, change.marketplace_id) == (
        "d0e9e693-c3ad-4373-979f-ed4ec98dd746", "903-8868176-2219830", "ATVPDKIKX0DER")
    assert change.change_type == "BuyerRequestedChange" and change.purchase_date.isoformat() == "2022-07-13"
    assert change.changed_at.isoformat() == "2022-11-29T19:42:04.284000+00:00"
    # Double-encoded (a JSON string holding the notification), as Amazon's own sample consumer accepts it
    # (selling-partner-api-samples .../lambda/utils/OrderProcessUtils.java parseSqsMessageBody).
    assert parse(json.dumps(json.dumps(EXAMPLE))) == change

    no_id = copy.deepcopy(EXAMPLE)
    del no_id["NotificationMetadata"]["NotificationId"]
    other_type = {**EXAMPLE, "NotificationType": "ANY_OFFER_CHANGED"}
    bad_time = copy.deepcopy(EXAMPLE)
    bad_time["Payload"]["OrderChangeNotification"]["Summary"]["PurchaseDate"] = "13/07/2022"
    for body, reason in [
        ("{not json", "body is not JSON"),
        ("[1, 2]", "body is JSON list"),
        (json.dumps("{not json"), "body is a JSON string that is not JSON"),
        (json.dumps({"Type": "Notification", "Message": json.dumps(EXAMPLE)}), "an SNS/EventBridge envelope?"),
        (json.dumps(no_id), "NotificationId missing"),
        (json.dumps(other_type), "NotificationType 'ANY_OFFER_CHANGED', not ORDER_CHANGE"),
        (json.dumps(bad_time), "Summary.PurchaseDate '13/07/2022' is not an ISO 8601 instant"),
    ]:
        with pytest.raises(Malformed, match=reason.replace("?", r"\?")):
            parse(body)


def test_a_notification_delivered_twice_is_recorded_once_and_a_malformed_one_goes_to_the_dlq_with_its_reason(
        queue, resources, project_env):
    body = json.dumps(EXAMPLE)
    for message in (body, body, "{not json"):
        send(queue, message)

    seen = Tick()
    consume(queue, resources["warehouse"], ["ATVPDKIKX0DER"], seen, long_poll_seconds=0)

    assert (seen.received, seen.new, seen.duplicates, seen.malformed) == (3, 1, 1, 1)
    assert query(project_env, "SELECT notification_id, order_id, deliveries, fetched_at FROM ops.notifications") == [
        ("d0e9e693-c3ad-4373-979f-ed4ec98dd746", "903-8868176-2219830", 2, None)]
    [(reason, dead_lettered)] = query(project_env, "SELECT reason, dead_lettered FROM ops.notification_rejects")
    assert reason.startswith("body is not JSON") and dead_lettered
    [moved] = queue.sqs.receive_message(QueueUrl=queue.dlq_url, MessageAttributeNames=["All"])["Messages"]
    assert moved["Body"] == "{not json" and moved["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"] == reason
    assert queue.sqs.receive_message(QueueUrl=queue.url).get("Messages") is None, "every message left the queue"

    # A marketplace this seller does not sync is recorded with the reason, never fetched.
    other = copy.deepcopy(EXAMPLE)
    other["NotificationMetadata"]["NotificationId"] = "n-other-marketplace"
    send(queue, json.dumps(other))
    consume(queue, resources["warehouse"], ["A1PA6795UKMFR9"], Tick(), long_poll_seconds=0)
    [(skipped,)] = query(project_env, "SELECT skipped_reason FROM ops.notifications WHERE notification_id = 'n-other-marketplace'")
    assert skipped == "marketplace ATVPDKIKX0DER is not in AMAZON_MARKETPLACE_IDS"


def test_a_message_leaves_the_queue_only_after_it_is_recorded(queue, resources, project_env, monkeypatch):
    send(queue, json.dumps(EXAMPLE))

    class Broken:
        def run(self, *args, **kwargs):
            raise duckdb.IOException("the warehouse went away mid-tick")

    with monkeypatch.context() as patch:
        patch.setattr(intraday, "RECORD_NOTIFICATIONS", Broken())
        patch.setattr(intraday, "VISIBILITY_SECONDS", 1)
        with pytest.raises(duckdb.IOException):
            consume(queue, resources["warehouse"], MARKETPLACES, Tick(), long_poll_seconds=0)

    # Not deleted: it comes back once its visibility timeout ends, and is recorded exactly once.
    again = Tick()
    for _ in range(30):
        consume(queue, resources["warehouse"], MARKETPLACES, again, long_poll_seconds=0)
        if again.received:
            break
        time.sleep(0.2)  # real seconds: SQS (moto) keeps its own time for the visibility timeout
    assert (again.received, again.new) == (1, 1)
    assert query(project_env, "SELECT count(*), sum(deliveries) FROM ops.notifications") == [(1, 1)]


def test_today_s_notified_orders_reach_zoho_through_today_s_open_partition_in_one_run(
        sandbox, resources, project_env, queue, order_queue):
    instance = dg.DagsterInstance.ephemeral()
    first, second = todays_orders(sandbox, 2)
    for n, order in enumerate((first, second, first)):
        send(queue, notification(order, f"n-{n % 2}"))  # the third is the first again: a duplicate delivery

    result = tick(resources, order_queue, instance)

    [request] = result.run_requests
    today = clock.today()
    assert run_days(request) == [today], "today's open partition, one run for both orders"
    assert dg.AssetKey(["amazon_raw", "raw_orders"]) not in request.asset_selection, "the sensor fetched; the run reads raw"
    state = json.loads(result.cursor)["last_tick"]
    assert (state["received"], state["new"], state["duplicates"], state["orders_fetched"], state["fetched_by"], state["runs"]) == (
        3, 2, 1, 2, "getOrder", 1)
    assert query(project_env, "SELECT count(*) FROM ops.notifications WHERE fetched_by = 'getOrder'") == [(2,)]

    run = dg.materialize(ASSETS, selection=request.asset_selection, resources=resources, instance=instance, tags=request.tags)
    assert run.success
    pushed = {r.get("Amazon_Order_ID") for r in zoho_records(sandbox.url, "Sales_Orders")}
    assert {first["orderId"], second["orderId"]} <= pushed

    # Nothing new: today is no longer behind Zoho, and the same raw state would ask for the same run key anyway.
    after = tick(resources, order_queue, instance, result.cursor)
    assert not after.run_requests and "0 runs for no day" in after.skip_reason.skip_message


def test_a_failed_run_s_days_are_asked_for_again_then_left_to_the_daily_run(sandbox, resources, queue, order_queue):
    instance = dg.DagsterInstance.ephemeral()
    [order] = todays_orders(sandbox, 1)
    send(queue, notification(order, "n-failing"))
    [request] = tick(resources, order_queue, instance).run_requests
    base = request.tags[KEY_TAG]
    assert request.run_key == f"{base}:0"

    for attempt in range(1, MAX_ATTEMPTS + 1):
        instance.add_run(DagsterRun(job_name="intraday_orders", status=dg.DagsterRunStatus.FAILURE, tags={KEY_TAG: base}))
        again = tick(resources, order_queue, instance)
        if attempt < MAX_ATTEMPTS:
            assert [r.run_key for r in again.run_requests] == [f"{base}:{attempt}"]
    assert not again.run_requests and "left to the daily run" in again.skip_reason.skip_message

    # While a run is queued or in progress the tick does not even receive (one DuckDB writer).
    instance.add_run(DagsterRun(job_name="intraday_orders", status=dg.DagsterRunStatus.STARTED))
    assert "a run is queued or in progress" in tick(resources, order_queue, instance).skip_message


def test_an_unreachable_queue_falls_back_to_polling_and_says_so(sandbox, resources, project_env, sqs_endpoint):
    instance = dg.DagsterInstance.ephemeral()
    gone = NotificationQueueResource(queue_url="http://127.0.0.1:9/123456789012/orders", endpoint_url="http://127.0.0.1:9",
                                     region="us-east-1", long_poll_seconds=0)
    [order] = todays_orders(sandbox, 1)

    result = tick(resources, gone, instance)

    state = json.loads(result.cursor)["last_tick"]
    assert state["mode"] == "polling" and state["polled"].startswith("SQS unreachable")
    assert "scanned lastUpdated" in state["polled"]
    # New orders too: a new order's lastUpdatedTime is its creation, so today's come with the scan.
    assert query(project_env, f"SELECT count(*) > 0 FROM raw.order_versions WHERE order_id = '{order['orderId']}'") == [(True,)]
    assert any(clock.today() in run_days(r) for r in result.run_requests)

    # The next tick does not scan again before poll_seconds, and says when it will.
    later = tick(resources, gone, instance, result.cursor)
    assert "next searchOrders scan due at" in json.loads(later.cursor)["last_tick"]["polled"]


def test_a_silent_queue_hands_over_to_polling_after_the_threshold(sandbox, resources, order_queue):
    instance = dg.DagsterInstance.ephemeral()
    now = clock.now()
    recently = json.dumps({"listening_since": (now - timedelta(minutes=5)).isoformat()})
    quiet = tick(resources, order_queue, instance, recently)
    assert json.loads(quiet.cursor)["last_tick"].get("mode", "queue") == "queue"

    long_ago = json.dumps({"listening_since": (now - timedelta(hours=2)).isoformat(),
                           "last_heard": (now - timedelta(minutes=31)).isoformat()})
    silent = json.loads(tick(resources, order_queue, instance, long_ago).cursor)["last_tick"]
    assert silent["mode"] == "polling" and silent["polled"].startswith("queue silent for 31 min")


def test_today_has_a_partition_and_the_schedule_still_fills_yesterday():
    partitions = daily_partitions(Settings.from_env({}).start_date)
    now = clock.now()
    assert partition_days(partitions, now)[1] == now.date()
    assert open_days(partitions, now)[1] == now.date() - timedelta(days=1)
    [request] = daily_requests(partitions, now)
    assert request.partition_key == (now.date() - timedelta(days=1)).isoformat()
    # And an asset materializes today's partition on demand (the UI's "materialize" on the open day).
    assert now.date().isoformat() in asset("amazon_raw", "raw_orders").partitions_def.get_partition_keys(current_time=now)


def test_the_sandbox_s_notifications_bring_new_and_changed_orders_to_zoho(sandbox, resources, project_env, sqs_endpoint):
    """The whole way, as `make dev` runs it: the sensor sets up the sandbox's queue, destination and subscription on
    its first tick (the sandbox names its SQS endpoint at /_sandbox/aws), the sandbox notifies the orders placed and
    changed after that, and one run per tick brings them to Zoho, each once."""
    sandbox.app.set_config({"sqs_endpoint_url": sqs_endpoint}, persist=False)
    instance = dg.DagsterInstance.ephemeral()
    sandboxed = _with(queue_resource(load(project_env)), long_poll_seconds=0)
    assert sandboxed.is_sandbox

    first = tick(resources, sandboxed, instance)
    assert json.loads(first.cursor)["sandbox_setup"] is True and not first.run_requests

    since = clock.now()
    clock.advance(timedelta(hours=3))  # the sandbox's orders move with the one clock: three hours of new orders and changes
    delivered = requests.post(f"{sandbox.url}/_sandbox/notifications/deliver", timeout=30).json()
    result = tick(resources, sandboxed, instance, first.cursor)

    state = json.loads(result.cursor)["last_tick"]
    assert state["new"] > 0 and state["received"] == state["new"] + state.get("duplicates", 0), delivered
    [request] = result.run_requests
    assert clock.today() in run_days(request)
    assert dg.materialize(ASSETS, selection=request.asset_selection, resources=resources, instance=instance, tags=request.tags).success
    notified = {o for (o,) in query(project_env, "SELECT DISTINCT order_id FROM ops.notifications WHERE fetched_at IS NOT NULL")}
    placed = {o["orderId"] for o in truth_orders(sandbox.url, since.date(), clock.today())
              if clock.parse_instant(o["createdTime"]) >= since}
    pushed = [r.get("Amazon_Order_ID") for r in zoho_records(sandbox.url, "Sales_Orders")]
    assert placed <= notified, "every order placed since the subscription was notified and fetched"
    # Zoho gets an order once it has prices (mapping.yaml: PENDING -> skip); its move to Unshipped is notified too.
    priced = {o for (o,) in query(project_env, "SELECT order_id FROM core.orders WHERE order_status <> 'PENDING'")}
    assert placed & priced and placed & priced <= set(pushed), "in Zoho"
    assert len(pushed) == len(set(pushed)), "each once"
    # The same money in all three systems, per order, to the cent: Amazon's grandTotal (the sandbox's own record of
    # the order, not what we fetched) = core.orders.order_total = Zoho's Grand_Total, by Zoho's formula too.
    warehouse = project_env["AMAZON_ZOHO_WAREHOUSE"]
    amazon = {o["orderId"]: Decimal(o["grandTotal"]) for o in truth_orders(sandbox.url, since.date(), clock.today())}
    core_totals = dict(query(project_env, "SELECT order_id, order_total FROM core.orders WHERE order_total IS NOT NULL"))
    assert {oid: core_totals[oid] for oid in placed & priced} == {oid: amazon[oid] for oid in placed & priced}
    assert assert_totals_tie_out(sandbox.url, warehouse) >= len(placed & priced)


def test_intraday_setup_makes_queue_destination_and_subscription_once_and_reuses_them(sandbox, resources, project_env, sqs_endpoint):
    sandbox.app.set_config({"sqs_endpoint_url": sqs_endpoint}, persist=False)
    sandboxed = queue_resource(load(project_env))

    made = setup(resources["amazon"], sandboxed)
    again = setup(resources["amazon"], sandboxed)

    assert made[0] == again[0] and "dead-letter queue http" in made[0]
    assert "created for the queue" in made[1] and "created for A1PA6795UKMFR9" in made[2]
    assert "already delivers to the queue; reused" in again[1] and "already delivers to the queue; reused" in again[2]
    destinations = get_destinations(resources["amazon"].grantless_client(NOTIFICATIONS_SCOPE))
    assert len(destinations) == 1 and destinations[0]["resource"]["sqs"]["arn"].endswith(":amazon-zoho-order-change")
    subscription = get_subscription(resources["amazon"].client())
    assert subscription.destination_id == destinations[0]["destinationId"]
    assert set(subscription.marketplace_ids) == set(MARKETPLACES)


def test_runs_can_be_spaced_to_save_zoho_credits(sandbox, resources, queue, order_queue):
    instance = dg.DagsterInstance.ephemeral()
    spaced = _with(order_queue, run_every_seconds=600)
    first, second = todays_orders(sandbox, 2)
    send(queue, notification(first, "n-spaced-1"))
    asked = tick(resources, spaced, instance)
    assert len(asked.run_requests) == 1

    send(queue, notification(second, "n-spaced-2"))
    held = tick(resources, spaced, instance, asked.cursor)
    assert not held.run_requests and "next run due at" in held.skip_reason.skip_message
    clock.advance(timedelta(seconds=601))
    later = tick(resources, spaced, instance, held.cursor)
    assert len(later.run_requests) == 1, "what changed meanwhile goes in the next run"
