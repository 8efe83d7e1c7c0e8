"""Zoho CRM v8 client: OAuth with single-flight refresh, retries on 429/5xx, and a credit meter."""

from __future__ import annotations

import math
import threading
from collections import Counter
from typing import Any

import requests

from ..http.errors import ApiError, RetryableError
from ..http.oauth import RefreshTokenProvider
from ..http.retry import retry_after_seconds, retrying

MAX_UPSERT_BATCH = 100


class ZohoCrmClient:
    def __init__(self, tokens: RefreshTokenProvider, session: requests.Session, api_domain: str | None = None, timeout: float = 60, max_attempts: int = 6):
        self.tokens = tokens
        self.session = session
        self._api_domain = api_domain.rstrip("/") if api_domain else None
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.calls: Counter[str] = Counter()
        self.credits_used = 0
        self._lock = threading.Lock()

    @property
    def api_domain(self) -> str:
        if self._api_domain:
            return self._api_domain
        self.tokens.token()
        # Each data centre answers with its own API domain; use it rather than guessing.
        return str(self.tokens.last_response.get("api_domain", "https://www.zohoapis.com")).rstrip("/")

    def call(self, operation: str, method: str, path: str, params: dict | None = None, json: Any = None, credits: int = 1) -> tuple[int, Any]:
        refreshed = False
        for attempt in retrying(self.max_attempts):
            with attempt:
                token = self.tokens.token()
                with self._lock:
                    self.calls[operation] += 1
                response = self.session.request(
                    method,
                    self.api_domain + path,
                    params=params,
                    json=json,
                    headers={"Authorization": f"Zoho-oauthtoken {token}"},
                    timeout=self.timeout,
                )
                status = response.status_code
                if status == 401 and not refreshed:
                    refreshed = True
                    self.tokens.invalidate(token)
                    raise RetryableError("zoho", operation, status, response.text, retry_after=0)
                if status == 429 or status >= 500:
                    raise RetryableError("zoho", operation, status, response.text, retry_after=retry_after_seconds(response))
                if status >= 400 and not (status == 400 and _is_per_record(response)):
                    raise ApiError("zoho", operation, status, response.text)
                with self._lock:
                    self.credits_used += credits
                return status, (response.json() if response.content else None)
        raise AssertionError("unreachable")

    def upsert(self, module: str, records: list[dict], duplicate_check_fields: list[str]) -> list[dict]:
        """Upserts ≤100 records; returns Zoho's per-record results in input order."""
        if not records:
            return []
        if len(records) > MAX_UPSERT_BATCH:
            raise ValueError(f"upsert takes at most {MAX_UPSERT_BATCH} records, got {len(records)}")
        body = {"data": records, "duplicate_check_fields": duplicate_check_fields, "trigger": []}
        _, payload = self.call("upsert", "POST", f"/crm/v8/{module}/upsert", json=body, credits=math.ceil(len(records) / 10))
        return payload["data"]

    def fields(self, module: str) -> list[dict]:
        _, body = self.call("getFields", "GET", "/crm/v8/settings/fields", params={"module": module})
        return (body or {}).get("fields", [])

    def create_fields(self, module: str, fields: list[dict]) -> Any:
        _, body = self.call("createFields", "POST", "/crm/v8/settings/fields", params={"module": module}, json={"fields": fields})
        return body

    def search(self, module: str, criteria: str) -> list[dict]:
        status, body = self.call("search", "GET", f"/crm/v8/{module}/search", params={"criteria": criteria})
        return [] if status == 204 or not body else body.get("data", [])


def _is_per_record(response: requests.Response) -> bool:
    """A 400 whose body lists per-record errors (every record of an upsert failed) is an answer, not a failure."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("data"), list)
