"""ORDER_CHANGE notifications as SQS delivers them: the body read into what the intraday sensor needs, or refused
with the reason a person can act on.

The shape is Amazon's OrderChangeNotification.json (selling-partner-api-models
schemas/notifications/OrderChangeNotification.json, fafbbef; our copy: /work/shared/reference/amazon/, API-FACTS
§12d). UNVERIFIED (API-FACTS §12d): that the SQS message body is the bare notification JSON, not wrapped in an
envelope; a body that is not is refused with that reason, so the assumption fails loudly, never silently. Amazon's
own SQS consumer reads the body the same way, and also takes a body that is the notification JSON-encoded twice (a JSON
string holding it): amzn/selling-partner-api-samples use-cases/notifications/code/java/src/main/java/lambda/utils/
OrderProcessUtils.java, parseSqsMessageBody ("Handle case where body is a JSON string (double-encoded)"); so do we.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from .. import clock

NOTIFICATION_TYPE = "ORDER_CHANGE"
# The model's required properties, top level and in OrderChangeNotification (API-FACTS §12d).
REQUIRED_TOP = ("NotificationVersion", "NotificationType", "PayloadVersion", "EventTime", "Payload", "NotificationMetadata")
REQUIRED_CHANGE = ("NotificationLevel", "SellerId", "AmazonOrderId", "OrderChangeType", "OrderChangeTrigger", "Summary")
CHANGE_TYPES = ("BuyerRequestedChange", "DeliveryTipChange", "OrderStatusChange")


@dataclass(frozen=True)
class OrderChange:
    notification_id: str
    order_id: str
    marketplace_id: str | None
    change_type: str
    order_status: str | None
    purchase_date: date | None
    changed_at: datetime | None
    published_at: datetime | None


class Malformed(ValueError):
    """A message that is not an ORDER_CHANGE notification we can act on; str() is the reason."""


def parse(body: str) -> OrderChange:
    """The notification in an SQS message body, or Malformed naming what is wrong."""
    try:
        doc = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise Malformed(f"body is not JSON ({exc.__class__.__name__}: {str(exc)[:80]})") from None
    if isinstance(doc, str):  # double-encoded, as Amazon's sample consumer allows (module docstring)
        try:
            doc = json.loads(doc)
        except ValueError as exc:
            raise Malformed(f"body is a JSON string that is not JSON ({exc.__class__.__name__}: {str(exc)[:80]})") from None
    if not isinstance(doc, dict):
        raise Malformed(f"body is JSON {type(doc).__name__}, not a notification object")
    missing = [k for k in REQUIRED_TOP if k not in doc]
    if missing:
        hint = " (an SNS/EventBridge envelope?)" if {"Message", "detail"} & set(doc) else ""
        raise Malformed(f"missing required {', '.join(missing)}{hint}")
    if doc["NotificationType"] != NOTIFICATION_TYPE:
        raise Malformed(f"NotificationType {str(doc['NotificationType'])[:40]!r}, not {NOTIFICATION_TYPE}")
    meta = doc["NotificationMetadata"] if isinstance(doc["NotificationMetadata"], dict) else {}
    notification_id = meta.get("NotificationId")
    if not isinstance(notification_id, str) or not notification_id.strip():
        raise Malformed("NotificationMetadata.NotificationId missing or not a string: nothing to deduplicate on")
    payload = doc["Payload"] if isinstance(doc["Payload"], dict) else {}
    change = payload.get("OrderChangeNotification")
    if not isinstance(change, dict):
        raise Malformed("Payload.OrderChangeNotification missing or not an object")
    missing = [k for k in REQUIRED_CHANGE if k not in change]
    if missing:
        raise Malformed(f"OrderChangeNotification missing required {', '.join(missing)}")
    order_id = change["AmazonOrderId"]
    if not isinstance(order_id, str) or not order_id.strip():
        raise Malformed("AmazonOrderId is not a non-empty string")
    if change["OrderChangeType"] not in CHANGE_TYPES:
        raise Malformed(f"OrderChangeType {str(change['OrderChangeType'])[:40]!r} is none of {', '.join(CHANGE_TYPES)}")
    summary = change["Summary"] if isinstance(change["Summary"], dict) else {}
    trigger = change["OrderChangeTrigger"] if isinstance(change["OrderChangeTrigger"], dict) else {}
    purchased = _instant(summary.get("PurchaseDate"), "Summary.PurchaseDate")
    return OrderChange(
        notification_id=notification_id.strip(),
        order_id=order_id.strip(),
        marketplace_id=summary.get("MarketplaceId") if isinstance(summary.get("MarketplaceId"), str) else None,
        change_type=change["OrderChangeType"],
        order_status=summary.get("OrderStatus") if isinstance(summary.get("OrderStatus"), str) else None,
        purchase_date=purchased.date() if purchased else None,
        # Amazon's time of the change; EventTime (when the event was emitted) stands in when the trigger has none.
        changed_at=_instant(trigger.get("TimeOfOrderChange"), "OrderChangeTrigger.TimeOfOrderChange")
        or _instant(doc["EventTime"], "EventTime"),
        published_at=_instant(meta.get("PublishTime"), "NotificationMetadata.PublishTime"),
    )


def _instant(value, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return clock.parse_instant(value)
    except (TypeError, ValueError):
        raise Malformed(f"{name} {str(value)[:40]!r} is not an ISO 8601 instant with an offset") from None
