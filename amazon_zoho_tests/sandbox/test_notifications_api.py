"""The sandbox's Notifications API v1 against Amazon's own model (fixtures/amazon_notifications_model.json): every
operation's answer validates against the model's response definition, requests are the model's request definitions,
grantless operations take only a grantless token and the others only the seller's, each has the model's usage plan
(and answers 429 past its burst), and the errors are the model's ErrorList with the codes Amazon was seen to send."""

import requests

from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho_tests.sandbox.notifications_fixtures import MODEL, model_errors, token

ARN = "arn:aws:sqs:us-east-2:444455556666:queue1"  # the model's own example destination
# sendTestNotification is marked x-amzn-api-sandbox-only: Amazon's sandbox endpoint serves it, production does not.
OPERATIONS = {k: v for k, v in MODEL["operations"].items() if k != "sendTestNotification"}


def _sandbox(tmp_path, **knobs):
    return Sandbox(port=0, config=SandboxConfig(**knobs), state_dir=tmp_path)


def _call(sb, operation: str, headers, body=None, **path):
    spec = MODEL["operations"][operation]
    url = sb.url + spec["path"].format(**path)  # the model's paths start with /notifications/v1
    params = {"notificationTypes": "ORDER_CHANGE"} if operation == "getSubscriptions" else None
    return requests.request(spec["method"], url, json=body, headers=headers, params=params, timeout=10)


def test_every_operation_answers_as_the_model_says(tmp_path):
    destination_request = {"name": "SQSDestination", "resourceSpecification": {"sqs": {"arn": ARN}}}
    assert model_errors("CreateDestinationRequest", destination_request) == []
    with _sandbox(tmp_path) as sb:
        grantless, seller = token(sb, grantless=True), token(sb)
        answers = {"createDestination": _call(sb, "createDestination", grantless, destination_request)}
        destination = answers["createDestination"].json()["payload"]["destinationId"]
        subscription_request = {"payloadVersion": "1.0", "destinationId": destination, "processingDirective": {"eventFilter": {
            "eventFilterType": "ORDER_CHANGE", "orderChangeTypes": ["OrderStatusChange", "BuyerRequestedChange"],
            "marketplaceIds": ["A1PA6795UKMFR9"]}}}
        assert model_errors("CreateSubscriptionRequest", subscription_request) == []
        answers["createSubscription"] = _call(sb, "createSubscription", seller, subscription_request, notificationType="ORDER_CHANGE")
        subscription = answers["createSubscription"].json()["payload"]["subscriptionId"]
        ids = {"notificationType": "ORDER_CHANGE", "subscriptionId": subscription}
        answers["getDestinations"] = _call(sb, "getDestinations", grantless)
        answers["getDestination"] = _call(sb, "getDestination", grantless, destinationId=destination)
        answers["getSubscriptions"] = _call(sb, "getSubscriptions", seller)
        answers["getSubscription"] = _call(sb, "getSubscription", seller, notificationType="ORDER_CHANGE")
        answers["getSubscriptionById"] = _call(sb, "getSubscriptionById", grantless, **ids)
        answers["deleteSubscriptionById"] = _call(sb, "deleteSubscriptionById", grantless, **ids)
        answers["deleteDestination"] = _call(sb, "deleteDestination", grantless, destinationId=destination)
    assert set(answers) == set(OPERATIONS), "an operation of the model is left untested"
    for operation, answer in answers.items():
        assert answer.status_code == 200, (operation, answer.text)
        assert model_errors(OPERATIONS[operation]["responses"]["200"], answer.json()) == [], operation
        plan = OPERATIONS[operation]["usage_plan"]
        assert float(answer.headers["x-amzn-RateLimit-Limit"]) == plan["rate"], operation
    assert answers["getSubscription"].json()["payload"] == answers["createSubscription"].json()["payload"]
    assert answers["getSubscription"].json()["payload"]["processingDirective"] == subscription_request["processingDirective"]
    assert answers["getDestinations"].json()["payload"] == [answers["createDestination"].json()["payload"]]
    assert answers["getSubscriptions"].json()["payload"]["subscriptions"] == [answers["createSubscription"].json()["payload"]]


# Grantless in the model, and taking the seller's token too (sandbox/amazon/notifications.py says why).
EITHER = {"getSubscriptionById", "deleteSubscriptionById"}


def test_grantless_operations_take_a_grantless_token_and_the_others_only_the_seller_s(tmp_path):
    with _sandbox(tmp_path) as sb:
        grantless, seller = token(sb, grantless=True), token(sb)
        rotation_only = token(sb, grantless=True, scope="sellingpartnerapi::client_credential:rotation")
        for operation, spec in OPERATIONS.items():
            path = {"notificationType": "ORDER_CHANGE", "subscriptionId": "x", "destinationId": "x"}
            path = {k: v for k, v in path.items() if "{" + k + "}" in spec["path"]}
            wrong = seller if spec["grantless"] else grantless
            refused = _call(sb, operation, wrong, {}, **path)
            if operation in EITHER:
                assert spec["grantless"] and refused.status_code == 404, (operation, refused.text)  # let through: no such subscription
                assert _call(sb, operation, rotation_only, **path).status_code == 403
                continue
            assert refused.status_code == 403, (operation, refused.text)
            assert model_errors("ErrorList", refused.json()["errors"]) == []
            assert refused.json()["errors"][0]["code"] == "Unauthorized"
        # A grantless token of another scope opens no notifications operation; the seller's token still reads orders,
        # a grantless one does not.
        assert _call(sb, "getDestinations", rotation_only).status_code == 403
        assert _call(sb, "getDestinations", grantless).status_code == 200
        orders = sb.url + "/orders/2026-01-01/orders?createdAfter=2026-01-01T00:00:00Z&marketplaceIds=A1PA6795UKMFR9"
        assert requests.get(orders, headers=grantless, timeout=10).status_code == 403
        assert requests.get(orders, headers=seller, timeout=10).status_code == 200


def test_a_grantless_grant_needs_a_known_scope_and_gives_no_refresh_token(tmp_path):
    with _sandbox(tmp_path) as sb:
        form = {"grant_type": "client_credentials", "client_id": "amzn1.application-oa2-client.sandbox", "client_secret": "sandbox-lwa-secret"}
        assert requests.post(sb.url + "/auth/o2/token", data=form, timeout=10).json()["error"] == "invalid_scope"
        unknown = requests.post(sb.url + "/auth/o2/token", data={**form, "scope": "sellingpartnerapi::orders"}, timeout=10)
        assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_scope")
        granted = requests.post(sb.url + "/auth/o2/token", data={**form, "scope": "sellingpartnerapi::notifications"}, timeout=10).json()
        assert "refresh_token" not in granted and granted["scope"] == "sellingpartnerapi::notifications"


def test_past_the_burst_of_five_an_operation_answers_429_quota_exceeded(tmp_path):
    with _sandbox(tmp_path) as sb:  # time_scale 1: Amazon's own rate, one token a second
        grantless = token(sb, grantless=True)
        statuses = [_call(sb, "getDestinations", grantless) for _ in range(7)]
        # Another operation has its own bucket.
        other = _call(sb, "getSubscriptions", token(sb))
    assert [a.status_code for a in statuses[:5]] == [200] * 5
    throttled = [a for a in statuses[5:] if a.status_code == 429]
    assert throttled, [a.status_code for a in statuses]
    assert throttled[0].json()["errors"][0]["code"] == "QuotaExceeded"
    assert model_errors("ErrorList", throttled[0].json()["errors"]) == []
    assert other.status_code == 200


def test_conflicts_and_missing_resources_answer_as_amazon_does(tmp_path):
    with _sandbox(tmp_path) as sb:
        grantless, seller = token(sb, grantless=True), token(sb)
        spec = {"name": "q", "resourceSpecification": {"sqs": {"arn": ARN}}}
        destination = _call(sb, "createDestination", grantless, spec).json()["payload"]["destinationId"]
        again = _call(sb, "createDestination", grantless, spec)
        subscribe = {"payloadVersion": "1.0", "destinationId": destination}
        first = _call(sb, "createSubscription", seller, subscribe, notificationType="ORDER_CHANGE")
        second = _call(sb, "createSubscription", seller, subscribe, notificationType="ORDER_CHANGE")
        busy = _call(sb, "deleteDestination", grantless, destinationId=destination)
        missing = _call(sb, "getDestination", grantless, destinationId="no-such")
        unknown_destination = _call(sb, "createSubscription", seller, {"payloadVersion": "1.0", "destinationId": "no-such"},
                                    notificationType="ORDER_CHANGE")
        bad_arn = _call(sb, "createDestination", grantless, {"name": "q", "resourceSpecification": {"sqs": {"arn": "queue1"}}})
        bad_filter = _call(sb, "createSubscription", seller, {**subscribe, "processingDirective": {"eventFilter": {
            "eventFilterType": "ORDER_CHANGE", "orderChangeTypes": ["ItemChange"]}}}, notificationType="ORDER_CHANGE")
        other_type = _call(sb, "createSubscription", seller, subscribe, notificationType="ANY_OFFER_CHANGED")
        subscription = first.json()["payload"]["subscriptionId"]
        deleted = _call(sb, "deleteSubscriptionById", grantless, notificationType="ORDER_CHANGE", subscriptionId=subscription)
        gone = _call(sb, "getSubscription", seller, notificationType="ORDER_CHANGE")
        freed = _call(sb, "deleteDestination", grantless, destinationId=destination)
    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "Conflict")
    assert first.status_code == 200
    assert (second.status_code, second.json()["errors"][0]["code"]) == (409, "StateConflict")
    assert second.json()["errors"][0]["details"] == "Subscription already exist for notification type ORDER_CHANGE"
    assert (busy.status_code, busy.json()["errors"][0]["details"]) == (403, "Destination has subscriptions")
    assert missing.status_code == 404 and gone.status_code == 404
    for answer in (unknown_destination, bad_arn, bad_filter, other_type):
        assert (answer.status_code, answer.json()["errors"][0]["code"]) == (400, "InvalidInput"), answer.text
    for answer in (again, second, busy, missing, unknown_destination, bad_arn, bad_filter, other_type, gone):
        assert model_errors("ErrorList", answer.json()["errors"]) == []
    assert deleted.status_code == 200 and freed.status_code == 200


def test_destinations_and_subscriptions_survive_a_restart(tmp_path):
    with _sandbox(tmp_path) as sb:
        destination = _call(sb, "createDestination", token(sb, grantless=True),
                            {"name": "q", "resourceSpecification": {"sqs": {"arn": ARN}}}).json()["payload"]
        _call(sb, "createSubscription", token(sb), {"payloadVersion": "1.0", "destinationId": destination["destinationId"]},
              notificationType="ORDER_CHANGE")
    with _sandbox(tmp_path) as sb:
        assert _call(sb, "getDestinations", token(sb, grantless=True)).json()["payload"] == [destination]
        assert _call(sb, "getSubscription", token(sb), notificationType="ORDER_CHANGE").json()["payload"]["destinationId"] == destination["destinationId"]
