"""OAuth refresh-token grant, shared by Login with Amazon and Zoho accounts: access tokens are cached
until shortly before expiry and refreshed by one thread at a time (single flight), because Zoho
blocks a refresh token that mints more than 10 access tokens in 10 minutes. Given a TokenFile, the token is shared
by every process of the deployment too (token_store.py)."""

from __future__ import annotations

import logging
import re
import threading

import requests

from .. import clock
from .errors import ApiError, register_basic_auth, register_secret
from .token_store import TokenFile, TokenFileUnusable

log = logging.getLogger(__name__)

# OAuth error codes are short ASCII words (RFC 6749 §5.2: "error" is %x20-21 / %x23-5B / %x5D-7E; LWA
# and Zoho send snake_case ones like invalid_grant, invalid_code). Anything else is not a code.
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class RefreshTokenProvider:
    # Amazon's LwaRequest.py refreshes 30 s early; we take up to 60 s for slow networks.
    EARLY_REFRESH_SECONDS = 60

    def __init__(self, service: str, token_url: str, client_id: str, client_secret: str, refresh_token: str, session: requests.Session,
                 timeout: float = 30, store_dir: str = ""):
        self.service = service
        self.token_url = token_url
        self._form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        # Before any request: whatever comes back, in whichever encoding, is redacted from then on.
        register_secret(refresh_token, client_secret)
        register_basic_auth(client_id, client_secret)
        self._session = session
        self._timeout = timeout
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.last_response: dict = {}
        self.refreshes = 0
        self._store = TokenFile(store_dir, service, token_url, client_id, refresh_token) if store_dir else None

    def token(self) -> str:
        with self._lock:
            if self._token is None or clock.timestamp() >= self._expires_at:
                if self._store is None:
                    self._refresh()
                else:
                    self._shared_token()
            return self._token  # type: ignore[return-value]

    def _shared_token(self) -> None:
        """The deployment's token from the file, or a fresh one written there; one process at a time refreshes."""
        store = self._store
        try:
            # The holder refreshes within a few of its timeouts; past that, something is stuck and we mint our own.
            with store.locked(wait_seconds=3 * self._timeout):
                held = store.read()
                if held is not None and clock.timestamp() < held[1]:
                    self._token, self._expires_at, self.last_response = held
                    return
                self._refresh()
                store.write(self._token, self._expires_at, self.last_response)  # type: ignore[arg-type]
        except TokenFileUnusable as exc:
            self._without_store(exc)
            if self._token is None or clock.timestamp() >= self._expires_at:
                self._refresh()

    def invalidate(self, stale: str) -> None:
        """Drops the token only if nobody replaced it yet, so N threads (or processes) seeing one 401 refresh once."""
        with self._lock:
            if self._token == stale:
                self._token = None
            held = self._store.read() if self._store is not None else None
            if held is not None and held[0] == stale:
                try:
                    with self._store.locked(wait_seconds=3 * self._timeout):  # type: ignore[union-attr]
                        self._store.drop(stale)  # type: ignore[union-attr]
                except TokenFileUnusable as exc:
                    self._without_store(exc)

    def _without_store(self, exc: TokenFileUnusable) -> None:
        # The cache only saves mints: a run does not fail for it, and the operator sees why it mints its own.
        log.warning("%s token cache unusable (%s); this process keeps its own token", self.service, exc)
        self._store = None

    def _refresh(self) -> None:
        response = self._session.post(self.token_url, data=self._form, timeout=self._timeout)
        body = _json(response)
        if response.status_code != 200 or "access_token" not in body:
            # Status and error code only: a proxy page or a mistyped URL answers with our form body echoed
            # back (refresh token and client secret, URL-encoded), so the body itself never travels.
            raise ApiError(self.service, "token_refresh", response.status_code, _describe(response, body))
        ttl = int(body.get("expires_in", 3600))
        self._token = body["access_token"]
        self._expires_at = clock.timestamp() + ttl - min(self.EARLY_REFRESH_SECONDS, ttl * 0.1)
        self.last_response = {k: v for k, v in body.items() if k not in ("access_token", "refresh_token")}
        self.refreshes += 1


def _json(response: requests.Response) -> dict:
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return {}
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _describe(response: requests.Response, body: dict) -> str:
    """What an operator needs to act on a refused refresh: the OAuth error code (LWA: API-FACTS §1; Zoho
    answers 200 with {"error": ...}), or the kind of answer when there is none."""
    code = body.get("error")
    if isinstance(code, str) and _ERROR_CODE.fullmatch(code):
        return f"error={code}"
    kind = response.headers.get("Content-Type", "").split(";")[0] or "no content type"
    return f"no OAuth error code in the answer ({kind}, {len(response.content)} bytes; body withheld, it may echo our credentials)"


class ClientCredentialsProvider(RefreshTokenProvider):
    """LWA's grantless token: client_credentials with a `scope` instead of a seller's refresh token, for the operations
    no seller authorizes (createDestination, getDestinations, ...: https://developer-docs.amazon.com/sp-api/docs/grantless-operations;
    the form as in the SP-API "Connecting to the Selling Partner API" guide, step 1)."""

    def __init__(self, service: str, token_url: str, client_id: str, client_secret: str, scope: str, session: requests.Session, timeout: float = 30):
        super().__init__(service, token_url, client_id, client_secret, "", session, timeout)
        self._form = {"grant_type": "client_credentials", "scope": scope, "client_id": client_id, "client_secret": client_secret}
