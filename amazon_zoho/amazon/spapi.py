"""The Selling Partner API client: LWA auth, per-operation pacing, retries, and a call counter."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import requests

from ..http.access import amazon_hint
from ..http.errors import AccessDenied, ApiError, RetryableError
from ..http.oauth import RefreshTokenProvider
from ..http.retry import retry_after_seconds, retrying
from .pacing import RateLimiter

EXPIRED_MARKERS = ("expired", "revoked, malformed or invalid", "missing in the request header")


@dataclass
class SpApiResponse:
    body: Any
    request_id: str | None
    status: int


class SpApiClient:
    def __init__(self, base_url: str, tokens: RefreshTokenProvider, limiter: RateLimiter, session: requests.Session,
                 timeout: float = 60, max_attempts: int = 8):
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.limiter = limiter
        self.session = session
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def call(self, operation: str, method: str, path: str, params: dict | None = None, json: Any = None) -> SpApiResponse:
        refreshed = False
        for attempt in retrying(self.max_attempts):
            with attempt:
                try:
                    return self._once(operation, method, path, params, json)
                except _TokenExpired as exc:
                    # One refresh per call: a second 403 right after a fresh token is a real denial.
                    if refreshed:
                        raise AccessDenied("amazon", operation, 403, exc.body, hint=amazon_hint(operation, params, json)) from None
                    refreshed = True
                    self.tokens.invalidate(exc.token)
                    raise RetryableError("amazon", operation, 403, exc.body, retry_after=0) from None
        raise AssertionError("unreachable")

    def _once(self, operation, method, path, params, json) -> SpApiResponse:
        # Token first: a refresh is an HTTP round trip, and a rate token taken before it would reach Amazon late.
        token = self.tokens.token()
        self.limiter.bucket(operation).acquire()
        with self._count_lock:
            self.calls[operation] += 1
        response = self.session.request(
            method,
            self.base_url + path,
            params=params,
            json=json,
            headers={"x-amz-access-token": token, "Accept": "application/json"},
            timeout=self.timeout,
        )
        self.limiter.bucket(operation).anchor()
        request_id = response.headers.get("x-amzn-RequestId")
        status = response.status_code
        if status < 400:
            self.limiter.observe_limit_header(operation, response.headers.get("x-amzn-RateLimit-Limit"))
            body = response.json() if response.content else None
            return SpApiResponse(body, request_id, status)
        text = response.text
        if status == 403 and any(m in text for m in EXPIRED_MARKERS):
            raise _TokenExpired(token, text)
        if status == 429:
            with self._count_lock:
                self.throttled[operation] += 1
            self.limiter.bucket(operation).penalize()
            raise RetryableError("amazon", operation, status, text, request_id, retry_after=retry_after_seconds(response))
        if status >= 500:
            raise RetryableError("amazon", operation, status, text, request_id, retry_after=retry_after_seconds(response))
        if status == 403:
            # Not an expired token: the app lacks the role this call needs (or Amazon withholds one order, which
            # get_orders treats per order); the error names the role, as `make doctor` does.
            raise AccessDenied("amazon", operation, status, text, request_id, hint=amazon_hint(operation, params, json))
        raise ApiError("amazon", operation, status, text, request_id)


class _TokenExpired(Exception):
    def __init__(self, token: str, body: str):
        self.token, self.body = token, body
