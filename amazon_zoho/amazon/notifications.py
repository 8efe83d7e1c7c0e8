"""Notifications API v1: the SQS destination and the ORDER_CHANGE subscription that feed the intraday sensor.

Paths, bodies and usage plans are Amazon's model (selling-partner-api-models models/notifications-api-model/
notifications.json; our copy /work/shared/reference/amazon/notifications_v1.json, API-FACTS §12d). Destination
operations are grantless (an LWA client_credentials token with scope sellingpartnerapi::notifications); subscription
operations act for the seller (its refresh token). `setup` is idempotent: it finds and reuses what exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..http.errors import ApiError
from .order_change import NOTIFICATION_TYPE
from .queue import NotificationQueueResource
from .resource import AmazonSellerResource
from .spapi import SpApiClient

NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
ORDER_CHANGE = NOTIFICATION_TYPE
# OrderChangeNotification.json's PayloadVersion.
PAYLOAD_VERSION = "1.0"
BASE = "/notifications/v1"


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    destination_id: str
    marketplace_ids: tuple[str, ...]


def get_destinations(grantless: SpApiClient) -> list[dict]:
    return grantless.call("getDestinations", "GET", f"{BASE}/destinations").body.get("payload") or []


def create_destination(grantless: SpApiClient, name: str, queue_arn: str) -> dict:
    body = {"name": name, "resourceSpecification": {"sqs": {"arn": queue_arn}}}
    return grantless.call("createDestination", "POST", f"{BASE}/destinations", json=body).body["payload"]


def get_subscription(client: SpApiClient, notification_type: str = ORDER_CHANGE) -> Subscription | None:
    """The seller's subscription to `notification_type`, or None (Amazon answers 404 when there is none)."""
    try:
        payload = client.call("getSubscription", "GET", f"{BASE}/subscriptions/{notification_type}",
                              params={"payloadVersion": PAYLOAD_VERSION}).body.get("payload")
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return _subscription(payload) if payload else None


def create_subscription(client: SpApiClient, destination_id: str, marketplace_ids: list[str]) -> Subscription:
    """ORDER_CHANGE to `destination_id`, only for `marketplace_ids` (the processingDirective's eventFilter)."""
    body = {
        "payloadVersion": PAYLOAD_VERSION,
        "destinationId": destination_id,
        "processingDirective": {"eventFilter": {"eventFilterType": ORDER_CHANGE, "marketplaceIds": list(marketplace_ids)}},
    }
    payload = client.call("createSubscription", "POST", f"{BASE}/subscriptions/{ORDER_CHANGE}", json=body).body["payload"]
    return _subscription(payload)


def _subscription(payload: dict) -> Subscription:
    event_filter = (payload.get("processingDirective") or {}).get("eventFilter") or {}
    return Subscription(payload["subscriptionId"], payload["destinationId"], tuple(event_filter.get("marketplaceIds") or ()))


def setup(amazon: AmazonSellerResource, order_queue: NotificationQueueResource) -> list[str]:
    """The queue (created in the sandbox, checked on AWS) and its DLQ, the SQS destination and the ORDER_CHANGE
    subscription, each found and reused when it exists; returns what it found or made, one line each."""
    queue = order_queue.open(create=order_queue.is_sandbox)
    lines = [f"queue {queue.url} ({queue.arn}); dead-letter queue {queue.dlq_url or 'none'}", *(f"WARNING: {n}" for n in queue.notes)]
    grantless = amazon.grantless_client(NOTIFICATIONS_SCOPE)
    destination = next((d for d in get_destinations(grantless) if ((d.get("resource") or {}).get("sqs") or {}).get("arn") == queue.arn), None)
    if destination:
        lines.append(f"destination {destination['destinationId']} ({destination.get('name')}) already delivers to the queue; reused")
    else:
        destination = create_destination(grantless, order_queue.queue_name, queue.arn)
        lines.append(f"destination {destination['destinationId']} created for the queue")
    client = amazon.client()
    subscription = get_subscription(client)
    if subscription is None:
        subscription = create_subscription(client, destination["destinationId"], amazon.marketplace_ids)
        lines.append(f"ORDER_CHANGE subscription {subscription.subscription_id} created for {', '.join(subscription.marketplace_ids)}")
    elif subscription.destination_id != destination["destinationId"]:
        lines.append(f"WARNING: ORDER_CHANGE subscription {subscription.subscription_id} delivers to destination "
                     f"{subscription.destination_id}, not this queue's {destination['destinationId']}: notifications go elsewhere. "
                     "Delete it (deleteSubscriptionById) and run make intraday-setup again")
    else:
        lines.append(f"ORDER_CHANGE subscription {subscription.subscription_id} already delivers to the queue; reused")
        missing = sorted(set(amazon.marketplace_ids) - set(subscription.marketplace_ids)) if subscription.marketplace_ids else []
        if missing:
            lines.append(f"WARNING: the subscription's eventFilter leaves out marketplaces {', '.join(missing)}: their changes come "
                         "by polling only")
    return lines
