"""Notifications when the sync fails or a day brings no orders: a webhook, email over SMTP, both, or,
when neither is configured, a log line saying what would have been sent.

    NOTIFY_WEBHOOK_URL     POST {"text", "subject", "details"} as JSON (Slack- and Teams-style
                           incoming webhooks read `text`)
    NOTIFY_SMTP_HOST       mail server; NOTIFY_SMTP_PORT (587), NOTIFY_SMTP_USER, NOTIFY_SMTP_PASSWORD,
                           NOTIFY_SMTP_FROM, NOTIFY_SMTP_TO (comma-separated), NOTIFY_SMTP_STARTTLS (1)

The webhook URL and the SMTP password are secrets: neither appears in logs or in the errors raised.
A notification that cannot be delivered is logged, never raised: it must not fail the sync it reports.
"""

from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

import requests

log = logging.getLogger("amazon_zoho.notify")


@dataclass
class Delivery:
    channel: str  # webhook | smtp | log
    ok: bool
    detail: str = ""


def notify(subject: str, text: str, details: dict | None = None, environ=None, logger=None) -> list[Delivery]:
    """Sends the message on every configured channel; returns what happened on each."""
    env = os.environ if environ is None else environ
    out = logger or log
    deliveries = []
    if env.get("NOTIFY_WEBHOOK_URL"):
        deliveries.append(_webhook(env["NOTIFY_WEBHOOK_URL"], subject, text, details or {}))
    if env.get("NOTIFY_SMTP_HOST"):
        deliveries.append(_smtp(env, subject, text))
    if not deliveries:
        out.warning(f"notification (not sent: set NOTIFY_WEBHOOK_URL or NOTIFY_SMTP_HOST to deliver it): {subject}: {text}")
        return [Delivery("log", True)]
    for d in deliveries:
        (out.info if d.ok else out.error)(f"notification via {d.channel} {'sent' if d.ok else 'FAILED'}: {subject}" + (f" ({d.detail})" if d.detail else ""))
    return deliveries


def _webhook(url: str, subject: str, text: str, details: dict) -> Delivery:
    host = urlsplit(url).hostname or "?"  # the path of a webhook URL is its secret; the host is not
    try:
        response = requests.post(url, json={"text": f"{subject}\n{text}", "subject": subject, "details": details}, timeout=10)
    except requests.RequestException as exc:
        return Delivery("webhook", False, f"{host}: {type(exc).__name__}")
    if response.status_code >= 300:
        return Delivery("webhook", False, f"{host} answered HTTP {response.status_code}")
    return Delivery("webhook", True, host)


def _smtp(env, subject: str, text: str) -> Delivery:
    host = env["NOTIFY_SMTP_HOST"]
    recipients = [a.strip() for a in env.get("NOTIFY_SMTP_TO", "").split(",") if a.strip()]
    if not recipients:
        return Delivery("smtp", False, "NOTIFY_SMTP_TO is not set")
    message = EmailMessage()
    message["Subject"] = f"[amazon_zoho] {subject}"
    message["From"] = env.get("NOTIFY_SMTP_FROM") or env.get("NOTIFY_SMTP_USER") or "amazon_zoho@localhost"
    message["To"] = ", ".join(recipients)
    message.set_content(text)
    try:
        port = int(env.get("NOTIFY_SMTP_PORT", "587"))
        with smtplib.SMTP(host, port, timeout=15) as server:
            if env.get("NOTIFY_SMTP_STARTTLS", "1").lower() in ("1", "true", "yes"):
                server.starttls()
            if env.get("NOTIFY_SMTP_USER"):
                server.login(env["NOTIFY_SMTP_USER"], env.get("NOTIFY_SMTP_PASSWORD", ""))
            server.send_message(message)
    except (OSError, ValueError, smtplib.SMTPException) as exc:
        # smtplib errors quote the server, never the password we sent.
        return Delivery("smtp", False, f"{host}: {type(exc).__name__}: {str(exc)[:200]}")
    return Delivery("smtp", True, f"{host} -> {len(recipients)} recipient(s)")
