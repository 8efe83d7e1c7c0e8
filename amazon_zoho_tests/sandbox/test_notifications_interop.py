"""The sandbox's Notifications API for a client we did not write: python-amazon-sp-api's `Notifications` gets a
grantless token (client_credentials, scope sellingpartnerapi::notifications) for the destination calls and the
seller's for the subscription calls, as it does against Amazon, and the ORDER_CHANGE notifications then arrive on
the queue (pointed at the sandbox as in test_interop_amazon.py)."""

from datetime import timedelta

import pytest
from sp_api.api import Notifications
from sp_api.base import SellingApiForbiddenException

from amazon_zoho import clock
from amazon_zoho_tests.sandbox.notifications_fixtures import deliver, drain, notification_errors, queue, running
from amazon_zoho_tests.sandbox.test_interop_amazon import _loopback_only, sp_client  # noqa: F401 (_loopback_only: autouse)


def test_python_amazon_sp_api_sets_up_order_change_and_the_notifications_arrive(tmp_path):
    # Tokens that outlive the three hours the clock is moved (sp_api keeps its tokens for their whole life).
    knobs = {"notification_delay_min_seconds": 0, "notification_delay_max_seconds": 0, "lwa_token_ttl": 86_400}
    with clock.pinned("2026-03-10T08:00:00+00:00", frozen=True), running(tmp_path, **knobs) as (sb, sqs):
        url, arn = queue(sqs)
        client = sp_client(Notifications, sb)
        destination = client.create_destination(name="orders", arn=arn).payload
        subscription = client.create_subscription("ORDER_CHANGE", destination_id=destination["destinationId"], processingDirective={
            "eventFilter": {"eventFilterType": "ORDER_CHANGE", "orderChangeTypes": ["OrderStatusChange"]}}).payload
        listed = client.get_destinations().payload
        fetched = client.get_subscription("ORDER_CHANGE").payload
        clock.advance(timedelta(hours=3))
        deliver(sb)
        bodies = drain(sqs, url)
        client.delete_notification_subscription("ORDER_CHANGE", subscription["subscriptionId"])
        client.delete_destination(destination["destinationId"])
        with pytest.raises(SellingApiForbiddenException):  # a grantless token opens no seller operation
            client._request_grantless_operation("/notifications/v1/subscriptions/ORDER_CHANGE")
    assert listed == [destination] and fetched["subscriptionId"] == subscription["subscriptionId"]
    assert bodies and {b["Payload"]["OrderChangeNotification"]["OrderChangeType"] for b in bodies} == {"OrderStatusChange"}
    assert [e for b in bodies for e in notification_errors(b)] == []
