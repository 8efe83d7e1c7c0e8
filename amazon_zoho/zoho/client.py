"""Zoho CRM v8 client: OAuth with single-flight refresh, retries on 429/5xx, and a credit meter.

Every call books the credits Zoho charges for it (API-FACTS §9: 1 per call, 1 per 10 records written,
500 per Bulk Write job) in `ledger`, which the sync writes to ops.zoho_credit_ledger for the budget.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from typing import Any

import requests

from .. import clock
from ..http.errors import ApiError, RetryableError
from ..http.oauth import RefreshTokenProvider
from ..http.retry import retry_after_seconds, retrying

MAX_UPSERT_BATCH = 100


class CreditsExhausted(ApiError):
    """Zoho refused the call: the org's API credits for the rolling 24 hours are spent. Not retried."""


class ZohoCrmClient:
    def __init__(self, tokens: RefreshTokenProvider, session: requests.Session, api_domain: str | None = None, timeout: float = 60,
                 max_attempts: int = 6, files_url: str | None = None):
        self.tokens = tokens
        self.session = session
        self._api_domain = api_domain.rstrip("/") if api_domain else None
        # File uploads go to another host in Zoho (content.zohoapis.<tld>); None = the API domain.
        self._files_url = files_url.rstrip("/") if files_url else None
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.calls: Counter[str] = Counter()
        self.credits_used = 0
        self.ledger: list[tuple[float, str, int]] = []
        self._lock = threading.Lock()
        self._org_id: str | None = None

    @property
    def api_domain(self) -> str:
        if self._api_domain:
            return self._api_domain
        self.tokens.token()
        # Each data centre answers with its own API domain; use it rather than guessing.
        return str(self.tokens.last_response.get("api_domain", "https://www.zohoapis.com")).rstrip("/")

    @property
    def files_url(self) -> str:
        return self._files_url or self.api_domain

    def call(self, operation: str, method: str, path: str, params: dict | None = None, json: Any = None, credits: int = 1,
             files: dict | None = None, headers: dict | None = None, url: str | None = None, raw: bool = False) -> tuple[int, Any]:
        refreshed = False
        for attempt in retrying(self.max_attempts):
            with attempt:
                token = self.tokens.token()
                with self._lock:
                    self.calls[operation] += 1
                response = self.session.request(
                    method,
                    url or self.api_domain + path,
                    params=params,
                    json=json,
                    files=files,
                    headers={"Authorization": f"Zoho-oauthtoken {token}", **(headers or {})},
                    timeout=self.timeout,
                )
                status = response.status_code
                if status == 401 and not refreshed:
                    refreshed = True
                    self.tokens.invalidate(token)
                    raise RetryableError("zoho", operation, status, response.text, retry_after=0)
                if status == 429 and _code(response) == "LIMIT_REACHED":
                    raise CreditsExhausted("zoho", operation, status, response.text)
                if status == 429 or status >= 500:
                    raise RetryableError("zoho", operation, status, response.text, retry_after=retry_after_seconds(response))
                if status >= 400 and not (status == 400 and _is_per_record(response)):
                    raise ApiError("zoho", operation, status, response.text)
                with self._lock:
                    self.credits_used += credits
                    self.ledger.append((clock.timestamp(), operation, credits))
                if raw:
                    return status, response.content
                return status, (response.json() if response.content else None)
        raise AssertionError("unreachable")

    def drain_ledger(self) -> list[tuple[float, str, int]]:
        with self._lock:
            entries, self.ledger = self.ledger, []
        return entries

    # -- records ---------------------------------------------------------------------------------

    def upsert(self, module: str, records: list[dict], duplicate_check_fields: list[str]) -> list[dict]:
        """Upserts ≤100 records; returns Zoho's per-record results in input order."""
        if not records:
            return []
        if len(records) > MAX_UPSERT_BATCH:
            raise ValueError(f"upsert takes at most {MAX_UPSERT_BATCH} records, got {len(records)}")
        body = {"data": records, "duplicate_check_fields": duplicate_check_fields, "trigger": []}
        _, payload = self.call("upsert", "POST", f"/crm/v8/{module}/upsert", json=body, credits=write_cost(len(records)))
        return payload["data"]

    def update(self, module: str, records: list[dict]) -> list[dict]:
        """Updates ≤100 records by id; per-record results in input order."""
        if len(records) > MAX_UPSERT_BATCH:
            raise ValueError(f"update takes at most {MAX_UPSERT_BATCH} records, got {len(records)}")
        body = {"data": records, "trigger": []}
        _, payload = self.call("update", "PUT", f"/crm/v8/{module}", json=body, credits=write_cost(len(records)))
        return payload["data"]

    def get_record(self, module: str, record_id: str) -> dict | None:
        _, body = self.call("getRecord", "GET", f"/crm/v8/{module}/{record_id}")
        return ((body or {}).get("data") or [None])[0]

    def search(self, module: str, criteria: str) -> list[dict]:
        status, body = self.call("search", "GET", f"/crm/v8/{module}/search", params={"criteria": criteria})
        return [] if status == 204 or not body else body.get("data", [])

    def insert(self, module: str, records: list[dict]) -> list[dict]:
        _, payload = self.call("insert", "POST", f"/crm/v8/{module}", json={"data": records, "trigger": []}, credits=write_cost(len(records)))
        return payload["data"]

    # -- org metadata ----------------------------------------------------------------------------

    def fields(self, module: str) -> list[dict]:
        _, body = self.call("getFields", "GET", "/crm/v8/settings/fields", params={"module": module})
        return (body or {}).get("fields", [])

    def create_fields(self, module: str, fields: list[dict]) -> Any:
        _, body = self.call("createFields", "POST", "/crm/v8/settings/fields", params={"module": module}, json={"fields": fields})
        return body

    def update_field(self, module: str, field_id: str, change: dict) -> Any:
        _, body = self.call("updateField", "PATCH", f"/crm/v8/settings/fields/{field_id}", params={"module": module}, json={"fields": [change]})
        return body

    def org_id(self) -> str:
        """The org's zgid, which file uploads must name in X-CRM-ORG."""
        if self._org_id is None:
            _, body = self.call("getOrg", "GET", "/crm/v8/org")
            self._org_id = str(body["org"][0]["zgid"])
        return self._org_id


def write_cost(records: int) -> int:
    """Insert, update and upsert cost 1 credit per 10 records (API-FACTS §9)."""
    return max(1, math.ceil(records / 10))


def _code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _is_per_record(response: requests.Response) -> bool:
    """A 400 whose body lists per-record errors (every record of an upsert failed) is an answer, not a failure."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("data"), list)
