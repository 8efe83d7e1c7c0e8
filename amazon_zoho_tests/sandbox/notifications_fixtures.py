"""Helpers for the Notifications API tests: Amazon's model and ORDER_CHANGE schema (fixtures/, each with its _source
line), a sandbox beside its own moto SQS server, LWA tokens of both grants, and a queue drained with boto3."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import jsonschema
import requests

from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.config import LWA_CLIENT_ID, LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN
from amazon_zoho.sandbox.sqs_server import sqs_server

FIXTURES = Path(__file__).parent / "fixtures"
MODEL = json.loads((FIXTURES / "amazon_notifications_model.json").read_text())
ORDER_CHANGE_SCHEMA = json.loads((FIXTURES / "amazon_order_change_notification_schema.json").read_text())
BASE = "/notifications/v1"
REGION = "eu-west-1"


def model_validator(definition: str) -> jsonschema.Draft4Validator:
    """A Swagger 2.0 definition of the model as a JSON Schema (Swagger's schema objects are draft 4)."""
    return jsonschema.Draft4Validator({"$ref": f"#/definitions/{definition}", "definitions": MODEL["definitions"]})


def model_errors(definition: str, body) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in model_validator(definition).iter_errors(body)]


def closed(schema):
    """The schema with every object closed (additionalProperties false): a field Amazon's schema does not name fails."""
    if isinstance(schema, dict):
        out = {k: closed(v) for k, v in schema.items() if k != "examples"}
        if schema.get("type") == "object" and "properties" in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [closed(v) for v in schema]
    return schema


def notification_errors(body: dict) -> list[str]:
    """Errors of one notification against Amazon's ORDER_CHANGE schema as published and closed."""
    validator = jsonschema.Draft7Validator(closed(ORDER_CHANGE_SCHEMA))
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(body)]


@contextlib.contextmanager
def running(tmp_path, **knobs) -> Iterator[tuple[Sandbox, object]]:
    """A sandbox sending to its own moto server; yields the sandbox and a boto3 SQS client of that server."""
    with sqs_server() as endpoint:
        config = SandboxConfig(sqs_endpoint_url=endpoint, **knobs)
        with Sandbox(port=0, config=config, state_dir=tmp_path) as sb:
            client = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
            yield sb, client


def token(sb, grantless: bool = False, scope: str = "sellingpartnerapi::notifications") -> dict[str, str]:
    form = {"client_id": LWA_CLIENT_ID, "client_secret": LWA_CLIENT_SECRET}
    form.update({"grant_type": "client_credentials", "scope": scope} if grantless else {"grant_type": "refresh_token", "refresh_token": LWA_REFRESH_TOKEN})
    answer = requests.post(sb.url + "/auth/o2/token", data=form, timeout=10)
    answer.raise_for_status()
    return {"x-amz-access-token": answer.json()["access_token"]}


def queue(client, name: str = "orders") -> tuple[str, str]:
    url = client.create_queue(QueueName=name)["QueueUrl"]
    return url, client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def subscribe(sb, arn: str, event_filter: dict | None = None) -> tuple[str, str]:
    """Destination (grantless) and ORDER_CHANGE subscription (seller) as a client sets them up; (destinationId, subscriptionId)."""
    created = requests.post(sb.url + BASE + "/destinations", json={"name": "orders", "resourceSpecification": {"sqs": {"arn": arn}}},
                            headers=token(sb, grantless=True), timeout=10)
    assert created.status_code == 200, created.text
    destination = created.json()["payload"]["destinationId"]
    body: dict = {"payloadVersion": "1.0", "destinationId": destination}
    if event_filter is not None:
        body["processingDirective"] = {"eventFilter": {"eventFilterType": "ORDER_CHANGE", **event_filter}}
    subscribed = requests.post(sb.url + BASE + "/subscriptions/ORDER_CHANGE", json=body, headers=token(sb), timeout=10)
    assert subscribed.status_code == 200, subscribed.text
    return destination, subscribed.json()["payload"]["subscriptionId"]


def deliver(sb) -> dict:
    answer = requests.post(sb.url + "/_sandbox/notifications/deliver", timeout=60)
    answer.raise_for_status()
    return answer.json()


def drain(client, url: str) -> list[dict]:
    """Every message on the queue, in the order SQS hands them out, deleted as read."""
    out = []
    while True:
        got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return out
        for message in got:
            out.append(json.loads(message["Body"]))
            client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
