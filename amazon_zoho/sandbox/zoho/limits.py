"""Zoho CRM's API limits: credits per rolling 24 hours, and concurrency per org (API-FACTS §9).

Credits (Zoho "API limits" page, v2/v4 table, same platform as v8): 1 per call by default;
insert/update/upsert 1 per 10 records (ceil); Bulk Write job 500. The budget is
`config.zoho_daily_credits`. A call that does not fit into what is left is refused with
HTTP 429 {"code": "LIMIT_REACHED", ...}: Zoho does not document the status or body for exhausted credits
(API-FACTS §9 "UNVERIFIED"); 429 is what integrators report and LIMIT_REACHED is the record.json
API_Exception code meant for it. Refused calls cost nothing.

Concurrency (Kaizen #203): at most `config.zoho_concurrency` requests in flight per org, and at most
10 in flight for heavy calls (insert/update/upsert of more than 10 records); beyond either, 429
{"code": "TOO_MANY_REQUESTS"}. `latency` (set with POST /_sandbox/zoho/latency) holds each
request inside the in-flight window, to model Zoho's processing time and to let tests reach the cap.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from ..http import Request, Response
from .common import error_response

SCHEMA = """
CREATE TABLE IF NOT EXISTS zoho_credits (ts REAL NOT NULL, operation TEXT NOT NULL, credits INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS zoho_credits_ts ON zoho_credits(ts);
"""
DAY = 86_400
SUB_CONCURRENCY = 10
BULK_WRITE_CREDITS = 500


def records_cost(n: int) -> int:
    return max(1, math.ceil(n / 10))


class Limits:
    def __init__(self, app):
        self.app = app
        app.store.ensure(SCHEMA)
        self._lock = threading.Lock()
        self._in_flight = 0
        self._heavy = 0
        # What is being processed right now (method, path), for tests that must act mid-request.
        self.requests_in_flight: dict[int, tuple[str, str]] = {}
        self.latency = 0.0
        app.on_reset(self._reset)

    def _reset(self) -> None:
        self.latency = 0.0

    # -- credits -----------------------------------------------------------------------------
    def used(self) -> int:
        row = self.app.store.query("SELECT COALESCE(SUM(credits), 0) AS n FROM zoho_credits WHERE ts > ?", (self.app.now() - DAY,))
        return int(row[0]["n"])

    def charge(self, operation: str, credits: int) -> Response | None:
        """Books `credits` for `operation`, or returns the refusal when the 24 h budget can't cover it."""
        with self.app.store.transaction():
            budget = self.app.config.zoho_daily_credits
            if self.used() + credits > budget:
                return error_response(
                    429,
                    "LIMIT_REACHED",
                    "API credits exhausted for the last 24 hours",
                    {"limit": budget, "allowed_count": max(0, budget - self.used())},
                )
            self.app.store.execute("INSERT INTO zoho_credits(ts, operation, credits) VALUES (?, ?, ?)", (self.app.now(), operation, credits))
        return None

    def summary(self) -> dict:
        rows = self.app.store.query(
            "SELECT operation, SUM(credits) AS n FROM zoho_credits WHERE ts > ? GROUP BY operation", (self.app.now() - DAY,)
        )
        return {"used_24h": self.used(), "budget": self.app.config.zoho_daily_credits, "by_operation": {r["operation"]: r["n"] for r in rows}}

    # -- concurrency -------------------------------------------------------------------------
    def guarded(self, handler: Callable[[Request], Response], heavy: Callable[[Request], bool] | None = None):
        """Wraps a CRM handler so it counts against the org's concurrency (and sub-concurrency)."""

        def run(req: Request) -> Response:
            is_heavy = bool(heavy and heavy(req))
            with self._lock:
                if self._in_flight >= self.app.config.zoho_concurrency or (is_heavy and self._heavy >= SUB_CONCURRENCY):
                    return error_response(
                        429,
                        "TOO_MANY_REQUESTS",
                        "concurrency limit exceeded",
                        {"limit": SUB_CONCURRENCY if is_heavy and self._heavy >= SUB_CONCURRENCY else self.app.config.zoho_concurrency},
                    )
                self._in_flight += 1
                self._heavy += is_heavy
                self.requests_in_flight[id(req)] = (req.method, req.path)
            try:
                if self.latency > 0:
                    time.sleep(self.latency)
                return handler(req)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._heavy -= is_heavy
                    self.requests_in_flight.pop(id(req), None)

        return run

