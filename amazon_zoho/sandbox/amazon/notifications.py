"""Notifications API v1: destinations (SQS) and ORDER_CHANGE subscriptions; delivery is notification_delivery.py.

Paths, bodies and usage plans: Amazon's model, /work/shared/reference/amazon/notifications_v1.json
([models] `models/notifications-api-model/notifications.json`). Every operation is rate 1/s, burst 5. Grantless
(an LWA token from grant_type=client_credentials, scope sellingpartnerapi::notifications): getDestinations,
createDestination, getDestination, deleteDestination, getSubscriptionById, deleteSubscriptionById (each one's
description in the model; https://developer-docs.amazon.com/sp-api/docs/grantless-operations). The last two take
the seller's token as well: python-amazon-sp-api sends it for both, and its maintainer found deleteSubscriptionById
working so (saleweaver/python-amazon-sp-api#373), while a grantless call of it was refused for one type
(amzn/selling-partner-api-models#1120). The seller's token only: getSubscriptions, getSubscription,
createSubscription (amzn/selling-partner-api-models#4491: "createSubscription is not a grantless operation").

Errors are the model's ErrorList. Bodies seen from Amazon:
    409 createSubscription when the type already has one: StateConflict "The resource specified conflicts with the
        current state." details "Subscription already exist for notification type <TYPE>"
        (amzn/selling-partner-api-models#2737)
    409 createDestination for an ARN the application already has: Conflict "The requested resource conflict with a
        resource in the server." details "A destination with arn <arn> already exists for the application <app>"
        (amzn/selling-partner-api-docs#1800)
    deleteDestination while subscriptions use it: Unauthorized "The requested action is forbidden." details
        "Destination has subscriptions" (same issue; its HTTP status is not shown there: 403 is the sandbox's guess)
    400 InvalidInput: code and message as the model's sendTestNotification example.
The sandbox delivers ORDER_CHANGE (payload version 1.0) only and refuses a subscription to any other type, or with
a filterExpression or aggregationSettings, with 400 InvalidInput saying so, rather than accept what it never sends.
"""

from __future__ import annotations

import json
import random
import uuid

from ..config import SANDBOX_APPLICATION_ID
from ..http import Request, Response

RATE_PLAN = (1.0, 5)
SCOPE = "sellingpartnerapi::notifications"
BASE = "/notifications/v1"
ORDER_CHANGE = "ORDER_CHANGE"
PAYLOAD_VERSIONS = {ORDER_CHANGE: "1.0"}
# OrderChangeTypeEnum of the model.
ORDER_CHANGE_TYPES = ("BuyerRequestedChange", "DeliveryTipChange", "OrderStatusChange")
SQS_ARN = "arn:aws:sqs:"  # SqsResource.arn pattern ^arn:aws:sqs:\S+:\S+:\S+

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notification_destinations (
    destination_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS notification_subscriptions (
    subscription_id TEXT PRIMARY KEY,
    notification_type TEXT NOT NULL,
    payload_version TEXT NOT NULL,
    destination_id TEXT NOT NULL,
    processing_directive TEXT,
    created REAL NOT NULL,
    -- changes up to this instant (sandbox clock) have been turned into notifications
    watermark REAL NOT NULL,
    UNIQUE (notification_type, payload_version)
);
"""

# (method, path, operation, token): "seller", "grantless", or "either".
_OPERATIONS = (
    ("GET", "/subscriptions", "getSubscriptions", "seller"),
    ("GET", "/subscriptions/{notificationType}", "getSubscription", "seller"),
    ("POST", "/subscriptions/{notificationType}", "createSubscription", "seller"),
    ("GET", "/subscriptions/{notificationType}/{subscriptionId}", "getSubscriptionById", "either"),
    ("DELETE", "/subscriptions/{notificationType}/{subscriptionId}", "deleteSubscriptionById", "either"),
    ("GET", "/destinations", "getDestinations", "grantless"),
    ("POST", "/destinations", "createDestination", "grantless"),
    ("GET", "/destinations/{destinationId}", "getDestination", "grantless"),
    ("DELETE", "/destinations/{destinationId}", "deleteDestination", "grantless"),
)


def register(app) -> None:
    app.store.ensure(_SCHEMA)
    handlers = {
        "getSubscriptions": get_subscriptions, "getSubscription": get_subscription, "createSubscription": create_subscription,
        "getSubscriptionById": get_subscription_by_id, "deleteSubscriptionById": delete_subscription_by_id,
        "getDestinations": get_destinations, "createDestination": create_destination, "getDestination": get_destination,
        "deleteDestination": delete_destination,
    }
    for method, path, operation, tokens in _OPERATIONS:
        app.rate_plans[operation] = RATE_PLAN
        if tokens != "seller":
            app.grantless_operations[operation] = SCOPE
        if tokens == "either":
            app.seller_token_too.add(operation)
        handler = handlers[operation]
        app.router.add(method, BASE + path, "amazon", operation, lambda req, h=handler: h(app, req))


# ---- errors ----------------------------------------------------------------------------------

def _error(status: int, code: str, message: str, details: str = "") -> Response:
    return Response.json(status, {"errors": [{"code": code, "message": message, "details": details}]})


def invalid(details: str) -> Response:
    return _error(400, "InvalidInput", "InvalidInput", details)


def not_found(details: str) -> Response:
    # The model's description of every 404: "The resource specified does not exist."
    return _error(404, "NotFound", "The resource specified does not exist.", details)


def _body(req: Request) -> dict | Response:
    try:
        body = req.json()
    except ValueError:
        return invalid("The request body is not valid JSON.")
    return body if isinstance(body, dict) else invalid("The request body must be a JSON object.")


def _new_id(app, kind: str) -> str:
    """Ids drawn from the seed and a counter, so two runs of one seed name their destinations and subscriptions alike."""
    counter = app.store.get(f"notifications:{kind}_counter", 0) + 1
    app.store.put(f"notifications:{kind}_counter", counter)
    return str(uuid.UUID(int=random.Random(f"{kind}:{app.config.seed}:{counter}").getrandbits(128), version=4))


# ---- destinations (grantless) ----------------------------------------------------------------

def destination_json(row: dict) -> dict:
    return {"destinationId": row["destination_id"], "name": row["name"], "resource": {"sqs": {"arn": row["arn"]}}}


def get_destinations(app, req: Request) -> Response:
    rows = app.store.query("SELECT * FROM notification_destinations ORDER BY created, destination_id")
    return Response.json(200, {"payload": [destination_json(r) for r in rows]})


def create_destination(app, req: Request) -> Response:
    body = _body(req)
    if isinstance(body, Response):
        return body
    name = body.get("name")
    spec = body.get("resourceSpecification")
    if not isinstance(name, str) or not name or not isinstance(spec, dict):
        return invalid("name and resourceSpecification are required.")
    if "sqs" not in spec:
        return invalid("The sandbox delivers to SQS destinations only (resourceSpecification.sqs.arn).")
    arn = (spec.get("sqs") or {}).get("arn") if isinstance(spec.get("sqs"), dict) else None
    if not isinstance(arn, str) or not _valid_arn(arn) or len(arn) > 1000:
        return invalid(f"resourceSpecification.sqs.arn must match ^arn:aws:sqs:\\S+:\\S+:\\S+, got {arn!r}.")
    with app.store.transaction():
        if app.store.query("SELECT 1 FROM notification_destinations WHERE arn = ?", (arn,)):
            return _error(409, "Conflict", "The requested resource conflict with a resource in the server.",
                          f"A destination with arn {arn} already exists for the application {SANDBOX_APPLICATION_ID}")
        row = {"destination_id": _new_id(app, "destination"), "name": name[:256], "arn": arn, "created": app.now()}
        app.store.execute("INSERT INTO notification_destinations(destination_id, name, arn, created) VALUES (?, ?, ?, ?)",
                          (row["destination_id"], row["name"], arn, row["created"]))
    return Response.json(200, {"payload": destination_json(row)})


def _valid_arn(arn: str) -> bool:
    parts = arn.split(":")
    return arn.startswith(SQS_ARN) and len(parts) == 6 and all(parts[3:]) and not any(c.isspace() for c in arn)


def get_destination(app, req: Request) -> Response:
    rows = app.store.query("SELECT * FROM notification_destinations WHERE destination_id = ?", (req.path_params["destinationId"],))
    if not rows:
        return not_found(f"Destination {req.path_params['destinationId']} does not exist.")
    return Response.json(200, {"payload": destination_json(rows[0])})


def delete_destination(app, req: Request) -> Response:
    destination_id = req.path_params["destinationId"]
    with app.store.transaction():
        if not app.store.query("SELECT 1 FROM notification_destinations WHERE destination_id = ?", (destination_id,)):
            return not_found(f"Destination {destination_id} does not exist.")
        if app.store.query("SELECT 1 FROM notification_subscriptions WHERE destination_id = ?", (destination_id,)):
            return _error(403, "Unauthorized", "The requested action is forbidden.", "Destination has subscriptions")
        app.store.execute("DELETE FROM notification_destinations WHERE destination_id = ?", (destination_id,))
    return Response.json(200, {})


# ---- subscriptions ---------------------------------------------------------------------------

def subscription_json(row: dict) -> dict:
    out = {"subscriptionId": row["subscription_id"], "payloadVersion": row["payload_version"], "destinationId": row["destination_id"]}
    if row["processing_directive"]:
        out["processingDirective"] = json.loads(row["processing_directive"])
    return out


def subscriptions(app, notification_type: str | None = None) -> list[dict]:
    """The subscriptions the delivery thread serves (rows of notification_subscriptions, with their destination's ARN)."""
    sql = ("SELECT s.*, d.arn FROM notification_subscriptions s JOIN notification_destinations d USING (destination_id)"
           + (" WHERE s.notification_type = ?" if notification_type else "") + " ORDER BY s.created, s.subscription_id")
    return app.store.query(sql, (notification_type,) if notification_type else ())


def _type(req: Request) -> str | Response:
    kind = req.path_params["notificationType"]
    if kind not in PAYLOAD_VERSIONS:
        return invalid(f"The sandbox supports notification type {', '.join(PAYLOAD_VERSIONS)} only, not {kind}.")
    return kind


def get_subscriptions(app, req: Request) -> Response:
    types = req.args("notificationTypes")
    if not types:
        return invalid("notificationTypes is required.")
    if req.arg("nextToken"):
        return invalid("Invalid nextToken: the sandbox answers getSubscriptions in one page and issues none.")
    version = req.arg("payloadVersion")
    rows = [r for t in types for r in subscriptions(app, t) if version in (None, r["payload_version"])]
    return Response.json(200, {"payload": {"subscriptions": [subscription_json(r) for r in rows]}})


def get_subscription(app, req: Request) -> Response:
    kind = _type(req)
    if isinstance(kind, Response):
        return kind
    version = req.arg("payloadVersion")
    rows = [r for r in subscriptions(app, kind) if version in (None, r["payload_version"])]
    if not rows:
        return not_found(f"No subscription for notification type {kind}.")
    return Response.json(200, {"payload": subscription_json(rows[-1])})


def create_subscription(app, req: Request) -> Response:
    kind = _type(req)
    if isinstance(kind, Response):
        return kind
    body = _body(req)
    if isinstance(body, Response):
        return body
    version, destination_id = body.get("payloadVersion"), body.get("destinationId")
    if not isinstance(version, str) or not isinstance(destination_id, str):
        return invalid("payloadVersion and destinationId are required.")
    if version != PAYLOAD_VERSIONS[kind]:
        return invalid(f"Invalid payloadVersion {version} for {kind}; supported: {PAYLOAD_VERSIONS[kind]}.")
    directive = body.get("processingDirective")
    problem = directive_problem(directive, kind)
    if problem:
        return invalid(problem)
    with app.store.transaction():
        if not app.store.query("SELECT 1 FROM notification_destinations WHERE destination_id = ?", (destination_id,)):
            return invalid(f"Invalid Input, recheck that the DestinationId {destination_id} is valid and belongs to the application")
        if app.store.query("SELECT 1 FROM notification_subscriptions WHERE notification_type = ? AND payload_version = ?", (kind, version)):
            return _error(409, "StateConflict", "The resource specified conflicts with the current state.",
                          f"Subscription already exist for notification type {kind}")
        row = {"subscription_id": _new_id(app, "subscription"), "payload_version": version, "destination_id": destination_id,
               "processing_directive": json.dumps(directive) if directive else None}
        # Changes from now on are notified, none from before the subscription.
        now = app.now()
        app.store.execute(
            "INSERT INTO notification_subscriptions(subscription_id, notification_type, payload_version, destination_id,"
            " processing_directive, created, watermark) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (row["subscription_id"], kind, version, destination_id, row["processing_directive"], now, now),
        )
    return Response.json(200, {"payload": subscription_json(row)})


def directive_problem(directive, kind: str) -> str | None:
    """What the sandbox cannot honour in a processingDirective (model: ProcessingDirective, EventFilter), or None."""
    if directive is None:
        return None
    if not isinstance(directive, dict):
        return "processingDirective must be an object."
    if "filterExpression" in directive:
        if "eventFilter" in directive:
            return "eventFilter and filterExpression are mutually exclusive."
        return "The sandbox does not evaluate filterExpression; use processingDirective.eventFilter."
    event_filter = directive.get("eventFilter")
    if event_filter is None:
        return None
    if not isinstance(event_filter, dict) or event_filter.get("eventFilterType") != kind:
        return f"processingDirective.eventFilter.eventFilterType must be {kind}."
    if "aggregationSettings" in event_filter:
        return f"aggregationSettings is not supported for {kind}."
    types = event_filter.get("orderChangeTypes", [])
    if not isinstance(types, list) or any(t not in ORDER_CHANGE_TYPES for t in types):
        return f"orderChangeTypes must be a list of {', '.join(ORDER_CHANGE_TYPES)}."
    markets = event_filter.get("marketplaceIds", [])
    if not isinstance(markets, list) or not all(isinstance(m, str) for m in markets):
        return "marketplaceIds must be a list of marketplace ids."
    return None


def _by_id(app, req: Request) -> dict | Response:
    kind = _type(req)
    if isinstance(kind, Response):
        return kind
    rows = app.store.query("SELECT * FROM notification_subscriptions WHERE subscription_id = ? AND notification_type = ?",
                           (req.path_params["subscriptionId"], kind))
    return rows[0] if rows else not_found(f"Subscription {req.path_params['subscriptionId']} does not exist for {kind}.")


def get_subscription_by_id(app, req: Request) -> Response:
    row = _by_id(app, req)
    return row if isinstance(row, Response) else Response.json(200, {"payload": subscription_json(row)})


def delete_subscription_by_id(app, req: Request) -> Response:
    row = _by_id(app, req)
    if isinstance(row, Response):
        return row
    app.store.execute("DELETE FROM notification_subscriptions WHERE subscription_id = ?", (row["subscription_id"],))
    return Response.json(200, {})

