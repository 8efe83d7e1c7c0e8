"""Notifications when the sync fails or a day brings no orders: a webhook, email over SMTP, both, or,
when neither is configured, a log line saying what would have been sent.

    NOTIFY_WEBHOOK_URL     POST {"text", "subject", "details"} as JSON (Slack- and Teams-style
                           incoming webhooks read `text`)
    NOTIFY_SMTP_HOST       mail server; NOTIFY_SMTP_PORT (587), NOTIFY_SMTP_USER, NOTIFY_SMTP_PASSWORD,
                           NOTIFY_SMTP_FROM, NOTIFY_SMTP_TO (comma-separated), NOTIFY_SMTP_STARTTLS (1)

These come from Settings.notify (settings.py) as a NotifyResource. The webhook URL and the SMTP password
are secrets: the resource reads them as dg.EnvVar, and neither appears in logs or in the errors raised.
A notification that cannot be delivered is logged, never raised: it must not fail the sync it reports.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

import dagster as dg
import requests

from ..http.errors import redact

log = logging.getLogger("amazon_zoho.notify")


@dataclass
class Delivery:
    channel: str  # webhook | smtp | log
    ok: bool
    detail: str = ""


class NotifyResource(dg.ConfigurableResource):
    """Where notifications go: a webhook, an SMTP server, both, or (nothing set) the log."""

    webhook_url: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_to: list[str] = []
    smtp_starttls: bool = True

    def send(self, subject: str, text: str, details: dict | None = None, logger=None) -> list[Delivery]:
        """Sends the message on every configured channel; returns what happened on each."""
        out = logger or log
        # Run failures quote exceptions; whatever slipped past the raising code is caught here, once for every channel.
        subject, text = redact(subject), redact(text)
        details = _redacted(details or {})
        deliveries = []
        if self.webhook_url:
            deliveries.append(_webhook(self.webhook_url, subject, text, details or {}))
        if self.smtp_host:
            deliveries.append(_smtp(self, subject, text))
        if not deliveries:
            out.warning(f"notification (not sent: set NOTIFY_WEBHOOK_URL or NOTIFY_SMTP_HOST to deliver it): {subject}: {text}")
            return [Delivery("log", True)]
        for d in deliveries:
            status = "sent" if d.ok else "FAILED"
            (out.info if d.ok else out.error)(f"notification via {d.channel} {status}: {subject}" + (f" ({d.detail})" if d.detail else ""))
        return deliveries


def _redacted(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(v) for v in value]
    return value


def _webhook(url: str, subject: str, text: str, details: dict) -> Delivery:
    host = urlsplit(url).hostname or "?"  # the path of a webhook URL is its secret; the host is not
    try:
        response = requests.post(url, json={"text": f"{subject}\n{text}", "subject": subject, "details": details}, timeout=10)
    except requests.RequestException as exc:
        return Delivery("webhook", False, f"{host}: {type(exc).__name__}")
    if response.status_code >= 300:
        return Delivery("webhook", False, f"{host} answered HTTP {response.status_code}")
    return Delivery("webhook", True, host)


def _smtp(channels: NotifyResource, subject: str, text: str) -> Delivery:
    host = channels.smtp_host
    recipients = list(channels.smtp_to)
    if not recipients:
        return Delivery("smtp", False, "NOTIFY_SMTP_TO is not set")
    message = EmailMessage()
    message["Subject"] = f"[amazon_zoho] {subject}"
    message["From"] = channels.smtp_from or channels.smtp_user or "amazon_zoho@localhost"
    message["To"] = ", ".join(recipients)
    message.set_content(text)
    try:
        with smtplib.SMTP(host, channels.smtp_port, timeout=15) as server:
            if channels.smtp_starttls:
                server.starttls()
            if channels.smtp_user:
                server.login(channels.smtp_user, channels.smtp_password)
            server.send_message(message)
    except (OSError, ValueError, smtplib.SMTPException) as exc:
        # smtplib errors quote the server, never the password we sent.
        return Delivery("smtp", False, f"{host}: {type(exc).__name__}: {str(exc)[:200]}")
    return Delivery("smtp", True, f"{host} -> {len(recipients)} recipient(s)")
