"""The SQS queue Amazon delivers ORDER_CHANGE notifications to, and its dead-letter queue, through boto3.

Real AWS when AMAZON_NOTIFICATIONS_QUEUE_URL is set (credentials from boto3's own chain: environment, profile,
instance role; never ours to read or log); otherwise the sandbox's SQS-compatible server (moto's server mode), whose
endpoint the sandbox names at GET /_sandbox/aws unless AWS_ENDPOINT_URL_SQS does. Calls are SQS's query API as boto3
speaks it (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import botocore.config
import botocore.exceptions
import dagster as dg
import requests
from pydantic import PrivateAttr

from ..settings import (
    DEFAULT_INTRADAY_GETORDER_MAX,
    DEFAULT_INTRADAY_POLL_SECONDS,
    DEFAULT_INTRADAY_RUN_EVERY_SECONDS,
    DEFAULT_INTRADAY_SILENCE_MINUTES,
    DEFAULT_NOTIFICATIONS_QUEUE,
)

# Amazon's account that sends notifications: the queue policy must let it call sqs:SendMessage and
# sqs:GetQueueAttributes. Amazon's own sample stack grants exactly these to this account (amzn/selling-partner-api-samples
# use-cases/pricing/app/sp-api-app-cdk/lib/sp-api-app-cdk-stack.ts, SPAPINotificationsQueuePolicy); the sample is for
# North America, and a third-party script names other accounts for EU and FE sellers, which no Amazon source confirms.
AMAZON_NOTIFICATIONS_ACCOUNT = "437568002678"
# SQS's longest retention (14 days, in seconds): notifications outlive a long outage of ours.
RETENTION_SECONDS = 1_209_600
# A message received this often without being deleted is moved to the DLQ by SQS itself (RedrivePolicy): a body that
# crashes the sensor every time cannot block the queue for ever.
MAX_RECEIVES = 5
# moto accepts any credentials (https://docs.getmoto.org/en/latest/docs/server_mode.html); these are its own examples.
SANDBOX_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
SANDBOX_REGION = "us-east-1"
DLQ_SUFFIX = "-dlq"
REASON_ATTRIBUTE = "amazon_zoho_reason"
# Connection errors surface in seconds, not after botocore's default 60 s read timeout and retries, so an unreachable
# queue costs a sensor tick little before polling takes over.
CLIENT_CONFIG = botocore.config.Config(connect_timeout=3, read_timeout=25, retries={"max_attempts": 2, "mode": "standard"})


class QueueUnavailable(RuntimeError):
    """The queue cannot be used now; str() says why, without credentials."""


@dataclass
class Queue:
    sqs: object  # a boto3 SQS client
    url: str
    arn: str
    dlq_url: str | None
    notes: list[str] = field(default_factory=list)


class NotificationQueueResource(dg.ConfigurableResource):
    """Where ORDER_CHANGE notifications arrive (SQS), and how the intraday sensor reacts to them and to silence."""

    enabled: bool = True
    queue_url: str = ""
    queue_name: str = DEFAULT_NOTIFICATIONS_QUEUE
    endpoint_url: str = ""
    region: str = ""
    # Set in sandbox mode: the SQS endpoint is asked of the sandbox when endpoint_url is empty.
    sandbox_url: str = ""
    silence_minutes: float = DEFAULT_INTRADAY_SILENCE_MINUTES
    poll_seconds: int = DEFAULT_INTRADAY_POLL_SECONDS
    getorder_max: int = DEFAULT_INTRADAY_GETORDER_MAX
    run_every_seconds: int = DEFAULT_INTRADAY_RUN_EVERY_SECONDS
    # SQS long polling waits up to 20 s for a first message (ReceiveMessage WaitTimeSeconds). 10 s leaves a tick time to
    # fetch and record within Dagster's 60 s sensor evaluation limit; tests and benchmarks wait less.
    long_poll_seconds: int = 10

    _client: object | None = PrivateAttr(default=None)

    @property
    def is_sandbox(self) -> bool:
        return not self.queue_url and bool(self.sandbox_url)

    def configured(self) -> bool:
        return self.enabled and bool(self.queue_url or self.sandbox_url)

    def client(self):
        if self._client is None:
            import boto3  # here, not at the top: every code-location load imports this module, intraday on or off

            endpoint = self.endpoint_url or (sandbox_sqs_endpoint(self.sandbox_url) if self.is_sandbox else "")
            kwargs = dict(region_name=self.region or _region_of(self.queue_url) or SANDBOX_REGION, config=CLIENT_CONFIG)
            if endpoint:
                kwargs["endpoint_url"] = endpoint
            if self.is_sandbox:
                kwargs.update(SANDBOX_CREDENTIALS)
            self._client = boto3.client("sqs", **kwargs)
        return self._client

    def open(self, create: bool = False) -> Queue:
        """The queue and its DLQ, checked; `create` (sandbox, make intraday-setup) makes what is missing there.
        Raises QueueUnavailable with the reason (not configured, endpoint unreachable, queue missing)."""
        if not self.configured():
            raise QueueUnavailable("no notifications queue configured (AMAZON_NOTIFICATIONS_QUEUE_URL unset, no sandbox)")
        try:
            sqs = self.client()
            if self.queue_url:
                return check_queue(sqs, self.queue_url)
            return ensure_queues(sqs, self.queue_name) if create else check_queue(sqs, _queue_url(sqs, self.queue_name))
        except botocore.exceptions.BotoCoreError as exc:
            self._client = None  # a new endpoint (a restarted SQS server) is picked up next time
            raise QueueUnavailable(f"SQS unreachable: {exc.__class__.__name__}: {_short(exc)}") from None
        except botocore.exceptions.ClientError as exc:
            raise QueueUnavailable(f"SQS refused: {_error_code(exc)}: {_short(exc)}") from None



def sandbox_sqs_endpoint(sandbox_url: str) -> str:
    """The SQS endpoint the sandbox at `sandbox_url` sends ORDER_CHANGE notifications to (GET /_sandbox/aws)."""
    try:
        response = requests.get(f"{sandbox_url}/_sandbox/aws", timeout=5)
        response.raise_for_status()
        endpoint = (response.json() or {}).get("sqs_endpoint_url")
    except (requests.RequestException, ValueError) as exc:
        raise QueueUnavailable(f"the sandbox names no SQS endpoint (GET /_sandbox/aws: {exc.__class__.__name__})") from None
    if not endpoint:
        raise QueueUnavailable("the sandbox runs no SQS server (GET /_sandbox/aws has no sqs_endpoint_url)")
    return endpoint


def ensure_queues(sqs, name: str) -> Queue:
    """The queue `name` and its DLQ `name`-dlq, created when missing, the redrive policy set; idempotent."""
    dlq_url = sqs.create_queue(QueueName=name + DLQ_SUFFIX, Attributes={"MessageRetentionPeriod": str(RETENTION_SECONDS)})["QueueUrl"]
    dlq_arn = _attributes(sqs, dlq_url)["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)})
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except botocore.exceptions.ClientError as exc:
        if not _missing(exc):
            raise
        url = sqs.create_queue(QueueName=name, Attributes={"MessageRetentionPeriod": str(RETENTION_SECONDS), "RedrivePolicy": redrive})["QueueUrl"]
    queue = check_queue(sqs, url)
    if queue.dlq_url is None:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": redrive})
        queue = check_queue(sqs, url)
    return queue


def check_queue(sqs, url: str) -> Queue:
    """The queue at `url` with its DLQ (from its RedrivePolicy), and notes on what Amazon or we would miss."""
    attributes = _attributes(sqs, url)
    notes, dlq_url = [], None
    redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
    if redrive.get("deadLetterTargetArn"):
        dlq_url = _url_of_arn(sqs, redrive["deadLetterTargetArn"])
    else:
        notes.append("the queue has no dead-letter queue (RedrivePolicy): malformed messages cannot be set aside; "
                     "run make intraday-setup or add one")
    policy = attributes.get("Policy") or ""
    if AMAZON_NOTIFICATIONS_ACCOUNT not in policy and "amazonaws.com" in url:
        notes.append(f"the queue policy does not name Amazon's notifications account {AMAZON_NOTIFICATIONS_ACCOUNT} "
                     "(sqs:SendMessage, sqs:GetQueueAttributes): createDestination will be refused; see the README")
    return Queue(sqs, url, attributes["QueueArn"], dlq_url, notes)


def receive(queue: Queue, wait_seconds: int, visibility_seconds: int) -> list[dict]:
    """Up to 10 messages, long-polling up to `wait_seconds` (SQS allows 0-20) for the first."""
    answer = queue.sqs.receive_message(
        QueueUrl=queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds, VisibilityTimeout=visibility_seconds,
        MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
    )
    return answer.get("Messages", [])


def delete(queue: Queue, messages: list[dict]) -> list[str]:
    """Deletes `messages` (10 per call); returns the ids SQS would not delete (they come back, and dedupe)."""
    failed: list[str] = []
    for start in range(0, len(messages), 10):
        batch = messages[start : start + 10]
        entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(batch)]
        answer = queue.sqs.delete_message_batch(QueueUrl=queue.url, Entries=entries)
        failed += [batch[int(f["Id"])]["MessageId"] for f in answer.get("Failed", [])]
    return failed


def dead_letter(queue: Queue, message: dict, reason: str) -> None:
    """Copies `message` to the DLQ with `reason` as a message attribute (the caller then deletes the original)."""
    if queue.dlq_url is None:
        raise QueueUnavailable("no dead-letter queue to move a malformed message to")
    queue.sqs.send_message(
        QueueUrl=queue.dlq_url, MessageBody=message.get("Body") or "(empty body)",
        MessageAttributes={
            REASON_ATTRIBUTE: {"DataType": "String", "StringValue": reason[:1000]},
            "amazon_zoho_source_message_id": {"DataType": "String", "StringValue": message["MessageId"]},
        },
    )


def _attributes(sqs, url: str) -> dict:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def _queue_url(sqs, name: str) -> str:
    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except botocore.exceptions.ClientError as exc:
        if _missing(exc):
            raise QueueUnavailable(f"queue {name!r} does not exist yet; run make intraday-setup") from None
        raise


def _url_of_arn(sqs, arn: str) -> str | None:
    # arn:aws:sqs:<region>:<account>:<name> (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
    parts = arn.split(":")
    if len(parts) != 6:
        return None
    try:
        return sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
    except botocore.exceptions.ClientError as exc:
        if _missing(exc):
            return None
        raise


def _missing(exc: botocore.exceptions.ClientError) -> bool:
    return _error_code(exc) in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def _error_code(exc: botocore.exceptions.ClientError) -> str:
    return str((exc.response.get("Error") or {}).get("Code") or "unknown")


def _region_of(url: str) -> str:
    match = re.match(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com/", url or "")
    return match.group(1) if match else ""


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
