"""OAuth refresh-token grant, shared by Login with Amazon and Zoho accounts: access tokens are cached
until shortly before expiry and refreshed by one thread at a time (single flight), because Zoho
blocks a refresh token that mints more than 10 access tokens in 10 minutes."""

from __future__ import annotations

import threading

import requests

from .. import clock
from .errors import ApiError


class RefreshTokenProvider:
    # Amazon's LwaRequest.py refreshes 30 s early; we take up to 60 s for slow networks.
    EARLY_REFRESH_SECONDS = 60

    def __init__(self, service: str, token_url: str, client_id: str, client_secret: str, refresh_token: str, session: requests.Session, timeout: float = 30):
        self.service = service
        self.token_url = token_url
        self._form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._session = session
        self._timeout = timeout
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.last_response: dict = {}
        self.refreshes = 0

    def token(self) -> str:
        with self._lock:
            if self._token is None or clock.timestamp() >= self._expires_at:
                self._refresh()
            return self._token  # type: ignore[return-value]

    def invalidate(self, stale: str) -> None:
        """Drops the token only if nobody replaced it yet, so N threads seeing one 401 refresh once."""
        with self._lock:
            if self._token == stale:
                self._token = None

    def _refresh(self) -> None:
        response = self._session.post(self.token_url, data=self._form, timeout=self._timeout)
        body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        if response.status_code != 200 or "access_token" not in body:
            # Zoho answers 200 with {"error": ...}; the error body never contains our secret.
            raise ApiError(self.service, "token_refresh", response.status_code, _redacted(response.text, self._form))
        ttl = int(body.get("expires_in", 3600))
        self._token = body["access_token"]
        self._expires_at = clock.timestamp() + ttl - min(self.EARLY_REFRESH_SECONDS, ttl * 0.1)
        self.last_response = {k: v for k, v in body.items() if k not in ("access_token", "refresh_token")}
        self.refreshes += 1


def _redacted(text: str, form: dict) -> str:
    for key in ("refresh_token", "client_secret"):
        if form.get(key):
            text = text.replace(form[key], "***")
    return text
