"""Zoho CRM v8 client: OAuth with single-flight refresh, retries on 429/5xx, and a credit meter.

Every call books the credits Zoho charges for it (API-FACTS §9: 1 per call, 1 per 10 records written,
500 per Bulk Write job) in `ledger`, which the sync writes to ops.zoho_credit_ledger for the budget.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from typing import Any

import requests

from .. import clock
from ..http.access import SYNC_SCOPES, granted_scopes, missing_scopes, zoho_hint
from ..http.errors import AccessDenied, ApiError, RetryableError
from ..http.oauth import RefreshTokenProvider
from ..http.retry import retry_after_seconds, retrying

MAX_UPSERT_BATCH = 100
# GET /crm/v8/{module}?ids=... names at most 100 records per call: `ids` is a query parameter of Get Records in
# /work/shared/reference/zoho/record.json, which gives no limit; 100 is the limit of the older API's idlist ("up to
# 100 IDs", https://www.zoho.com/developer/help/api/getrecordbyid.html) and of v8 writes. The v8 page's own figure was
# not retrieved; the sandbox refuses more than 100 (LIMIT_EXCEEDED).
MAX_IDS_PER_READ = 100
# The refresh token was granted without a scope this call needs ([zoas] record.json API_Exception; HTTP 401).
SCOPE_MISMATCH = "OAUTH_SCOPE_MISMATCH"
# How much of a body that is not Zoho's JSON an error keeps: enough to tell an HTML error page from an empty
# answer, short enough that nothing of a large page (or what a proxy echoes) ends up in logs.
BODY_START = 200
# Sends of one batch whose answer did not fit it before the batch is refused (each costs its credits again).
ANSWER_ATTEMPTS = 3
# A record error names the record it is about in details.json_path ("$.data[1].Company", API-FACTS §8).
_JSON_PATH_INDEX = re.compile(r"^\$\.data\[(\d+)\]")


class CreditsExhausted(ApiError):
    """Zoho refused the call: the org's API credits for the rolling 24 hours are spent. Not retried."""


class AnswerMismatch(RetryableError):
    """Zoho's per-record answer does not fit the batch it answers (fewer or more results than records, an error
    naming another record's index, one id given to two records). Matching such an answer by position would map
    records to other records' ids, so it is never applied: the call is retried, then the batch is refused."""


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
        # The last field metadata read per module (fields()): the push fits text to these lengths (fit.py).
        self.field_meta: dict[str, list[dict]] = {}
        # Modules whose fields a preflight accepted (setup.ensure_fields, or field_cache.py from an earlier run).
        self.fields_ready: set[str] = set()

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
                if status >= 400 and _code(response) == SCOPE_MISMATCH:
                    # A fresh token carries the same scopes: stop at this first call and say which scope to add.
                    raise AccessDenied("zoho", operation, status, response.text, hint=zoho_hint(operation))
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
                return status, _json_body(operation, response)
        raise AssertionError("unreachable")

    def require_scopes(self, needed: tuple[str, ...] = SYNC_SCOPES) -> None:
        """Raises AccessDenied, naming the first missing scope, when the token Zoho minted lists its scopes and lacks one
        of `needed`: a push stops before its first write instead of at the Bulk Write upload halfway through. A token
        answer without a scope list passes; the first call that needs a missing scope then stops the run."""
        self.tokens.token()
        granted = granted_scopes(self.tokens.last_response)
        missing = missing_scopes(granted, needed) if granted else []
        if missing:
            raise AccessDenied("zoho", "token", 401, f"the token was granted {', '.join(sorted(granted))}; no call made",
                               hint=zoho_hint("the sync", missing[0]))

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
        return self._write("upsert", "POST", f"/crm/v8/{module}/upsert", body, records)

    def update(self, module: str, records: list[dict]) -> list[dict]:
        """Updates ≤100 records by id; per-record results in input order."""
        if len(records) > MAX_UPSERT_BATCH:
            raise ValueError(f"update takes at most {MAX_UPSERT_BATCH} records, got {len(records)}")
        body = {"data": records, "trigger": []}
        return self._write("update", "PUT", f"/crm/v8/{module}", body, records)

    def get_record(self, module: str, record_id: str) -> dict | None:
        _, body = self.call("getRecord", "GET", f"/crm/v8/{module}/{record_id}")
        return ((body or {}).get("data") or [None])[0]

    def records_by_id(self, module: str, ids: list[str], fields: list[str]) -> list[dict]:
        """The records of `ids` that Zoho holds, with `fields` (v8 requires it) and their id: one call, 1 credit
        (API-FACTS §9: a call costs 1 credit unless listed otherwise). Zoho answers 204 when it holds none."""
        if not ids:
            return []
        if len(ids) > MAX_IDS_PER_READ:
            raise ValueError(f"a read by id takes at most {MAX_IDS_PER_READ} ids, got {len(ids)}")
        status, body = self.call("getRecords", "GET", f"/crm/v8/{module}", params={"ids": ",".join(ids), "fields": ",".join(fields)})
        data = body.get("data") if isinstance(body, dict) else None
        return [] if status == 204 or not isinstance(data, list) else [r for r in data if isinstance(r, dict)]

    def search(self, module: str, criteria: str) -> list[dict]:
        status, body = self.call("search", "GET", f"/crm/v8/{module}/search", params={"criteria": criteria})
        return [] if status == 204 or not body else body.get("data", [])

    def insert(self, module: str, records: list[dict]) -> list[dict]:
        return self._write("insert", "POST", f"/crm/v8/{module}", {"data": records, "trigger": []}, records)

    def _write(self, operation: str, method: str, path: str, body: dict, records: list[dict]) -> list[dict]:
        """One write call, retried while its answer does not fit the records sent (AnswerMismatch): sending the
        same records again is safe, since upserts match on the unique key and updates on the id."""
        for attempt in range(1, ANSWER_ATTEMPTS + 1):
            _, payload = self.call(operation, method, path, json=body, credits=write_cost(len(records)))
            try:
                return checked_answers(operation, records, payload)
            except AnswerMismatch:
                if attempt == ANSWER_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    # -- org metadata ----------------------------------------------------------------------------

    def fields(self, module: str) -> list[dict]:
        _, body = self.call("getFields", "GET", "/crm/v8/settings/fields", params={"module": module})
        fields = (body or {}).get("fields", [])
        self.field_meta[module] = fields
        return fields

    def remember_fields(self, module: str, fields: list[dict]) -> None:
        """Field metadata an earlier run read and its preflight accepted (zoho/field_cache.py), taken as this client's own
        answer: the push fits text to it and setup.ensure_fields does not read it again."""
        self.field_meta[module] = fields
        self.fields_ready.add(module)

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


def checked_answers(operation: str, records: list[dict], payload: Any) -> list[dict]:
    """Zoho's per-record results, one per record in input order (API-FACTS §8), once they are seen to fit the batch;
    raises AnswerMismatch otherwise. A nested MULTIPLE_OR_MULTI_ERRORS answer is unwrapped (unwrap_errors)."""
    answers = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(answers, list) or len(answers) != len(records) or not all(isinstance(a, dict) for a in answers):
        count = len(answers) if isinstance(answers, list) else "no"
        raise AnswerMismatch("zoho", operation, 200, f"answer holds {count} results for {len(records)} records; not applied")
    ids: dict[str, int] = {}
    for i, answer in enumerate(answers):
        named = _named_index(answer)
        if named is not None and named != i:
            raise AnswerMismatch("zoho", operation, 200, f"result {i} is about record {named} ({answer.get('code')}); not applied")
        record_id = (answer.get("details") or {}).get("id") if answer.get("status") == "success" else None
        if record_id is not None:
            if str(record_id) in ids:
                raise AnswerMismatch("zoho", operation, 200, f"results {ids[str(record_id)]} and {i} give two records the same id; not applied")
            ids[str(record_id)] = i
            sent_id = records[i].get("id")  # an update names its record: the answer must be about that one
            if sent_id is not None and str(sent_id) != str(record_id):
                raise AnswerMismatch("zoho", operation, 200, f"result {i} is about record {record_id}, record {i} is {sent_id}; not applied")
    return [unwrap_errors(a) for a in answers]


def _named_index(answer: dict) -> int | None:
    """The index of the record an error answer's json_path names (its nested errors' paths too), if any."""
    details = answer.get("details") if isinstance(answer.get("details"), dict) else {}
    paths = [details.get("json_path")] + [(e.get("details") or {}).get("json_path") for e in details.get("errors") or [] if isinstance(e, dict)]
    found = {int(m.group(1)) for p in paths if isinstance(p, str) for m in [_JSON_PATH_INDEX.match(p)] if m}
    return found.pop() if len(found) == 1 else (-1 if found else None)


def unwrap_errors(answer: dict) -> dict:
    """A record refused for several reasons at once comes as code MULTIPLE_OR_MULTI_ERRORS with the reasons in
    details.errors, each a record error of its own ({code, message, status, details {api_name, json_path,
    duplicate_record?}}): schema MultipleOrMultiErrorsError of the v8 upsert operation in a public rendering of Zoho's
    OpenAPI (found by code search; the index does not name its repository), also handled so by public integrations
    that adopt the nested DUPLICATE_DATA's duplicate_record.id. Not in /work/shared/reference's record.json enum.
    The answer keeps its errors, but takes the code, message and details of the one that decides what happens:
    a DUPLICATE_DATA first (adoption may resolve it), else the first; the others stay in details.errors."""
    details = answer.get("details") if isinstance(answer.get("details"), dict) else {}
    errors = [e for e in details.get("errors") or [] if isinstance(e, dict)]
    if answer.get("code") != "MULTIPLE_OR_MULTI_ERRORS" or not errors:
        return answer
    first = next((e for e in errors if e.get("code") == "DUPLICATE_DATA"), errors[0])
    others = [e for e in errors if e is not first]
    message = "; ".join(f"{e.get('code')} {(e.get('details') or {}).get('api_name') or ''} {e.get('message') or ''}".strip() for e in errors)
    return {**answer, "code": first.get("code") or "MULTIPLE_OR_MULTI_ERRORS", "message": message,
            "details": {**(first.get("details") or {}), "errors": others}, "multiple_errors": len(errors)}


def _json_body(operation: str, response: requests.Response) -> Any:
    """The answer's JSON; a 2xx that is not JSON (an HTML page from a proxy, a cut-off body) is retried like a 5xx."""
    if not response.content:
        if response.status_code in (200, 201, 207):  # these answers always carry data; 202/204 may be empty
            raise RetryableError("zoho", operation, response.status_code, "empty body where Zoho answers JSON")
        return None
    try:
        return response.json()
    except ValueError:
        start = response.content[:BODY_START].decode("utf-8", "replace")
        raise RetryableError("zoho", operation, response.status_code,
                             f"answer is not JSON ({response.headers.get('Content-Type', 'no Content-Type')}): {start!r}") from None


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
