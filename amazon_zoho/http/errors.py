"""Errors that carry what the API said and which call failed, never a credential.

Every error text passes through `redact`: a secret can come back from a server in more spellings than
the one we hold (a proxy page or a mistyped token URL echoing our form body writes the refresh token
URL-encoded, `Atzr%7C...`), so each registered secret is removed in every encoding a request of ours
can carry it in.
"""

from __future__ import annotations

import base64
import json
import threading
from urllib.parse import quote, quote_plus

REDACTED = "***"
_secrets: set[str] = set()
_lock = threading.Lock()
# Shorter values (a test's "x", an empty field) would blank ordinary words in every message.
_MIN_SECRET_LENGTH = 6


def encodings(secret: str) -> set[str]:
    """The spellings of `secret` our requests can send, hence a server can echo: raw, form-encoded
    (application/x-www-form-urlencoded, as requests encodes `data=`), path/percent-encoded, JSON-escaped,
    and base64 (HTTP Basic auth carries base64("client_id:secret"), RFC 7617 §2; that pair is registered
    separately by `register_basic_auth`)."""
    out = {
        secret,
        quote_plus(secret),
        quote(secret, safe=""),
        quote(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),  # encoders that escape the solidus (RFC 8259 §7 allows it)
        json.dumps(secret, ensure_ascii=False)[1:-1],
        base64.b64encode(secret.encode()).decode(),
        base64.urlsafe_b64encode(secret.encode()).decode(),
    }
    # Lower-case percent escapes (%7c) are as valid as upper-case ones (RFC 3986 §2.1).
    out |= {_lower_escapes(v) for v in out if "%" in v}
    return {v for v in out if len(v) >= _MIN_SECRET_LENGTH}


def _lower_escapes(text: str) -> str:
    parts = text.split("%")
    return parts[0] + "".join("%" + p[:2].lower() + p[2:] for p in parts[1:])


def register_secret(*values: str | None) -> None:
    """Makes `redact` remove these values (in every encoding) from all error and notification text."""
    with _lock:
        for value in values:
            if value and len(value) >= _MIN_SECRET_LENGTH:
                _secrets.update(encodings(value))


def register_basic_auth(client_id: str, client_secret: str) -> None:
    """An `Authorization: Basic` header echoed back carries the pair, not either value on its own."""
    if client_id and client_secret:
        pair = f"{client_id}:{client_secret}"
        with _lock:
            _secrets.update({base64.b64encode(pair.encode()).decode(), base64.urlsafe_b64encode(pair.encode()).decode()})


def redact(text: str, extra: tuple[str, ...] = ()) -> str:
    """`text` with every registered secret (and `extra` ones), in every encoding, replaced by ***."""
    if not text:
        return text
    with _lock:
        needles = set(_secrets)
    for value in extra:
        if value and len(value) >= _MIN_SECRET_LENGTH:
            needles |= encodings(value)
    # Longest first: a raw secret inside its own base64 or escaped form must not leave half of that behind.
    for needle in sorted(needles, key=len, reverse=True):
        if needle in text:
            text = text.replace(needle, REDACTED)
    return text


class ApiError(Exception):
    def __init__(self, service: str, operation: str, status: int, body: str, request_id: str | None = None):
        self.service, self.operation, self.status = service, operation, status
        self.body = redact(body)[:2000]
        self.request_id = request_id
        rid = f" request_id={request_id}" if request_id else ""
        super().__init__(f"{service} {operation} failed with HTTP {status}{rid}: {self.body}")


class RetryableError(ApiError):
    """429, 5xx, timeouts: worth another try after a wait."""

    def __init__(self, *args, retry_after: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class AccessDenied(ApiError):
    """The credentials work but lack a permission: an SP-API role (403 Unauthorized) or a Zoho OAuth scope
    (OAUTH_SCOPE_MISMATCH). Not retried; `hint` (http/access.py) names what to add, as `make doctor` does."""

    def __init__(self, service: str, operation: str, status: int, body: str, request_id: str | None = None, hint: str = ""):
        super().__init__(service, operation, status, body, request_id)
        self.hint = redact(hint)
        if self.hint:
            self.args = (f"{self.args[0]} -- {self.hint}",)
