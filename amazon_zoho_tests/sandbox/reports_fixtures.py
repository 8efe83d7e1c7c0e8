"""Helpers for the Reports API sandbox tests: a running sandbox, an authorised HTTP session, and a
stand-in for the document producers so these tests do not depend on the data generator."""

from __future__ import annotations

import contextlib
import sys
import time
import types
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import requests

from amazon_zoho import clock
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.config import LWA_CLIENT_ID, LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN

BASE = "/reports/2021-06-30"
DOCUMENTS_MODULE = "amazon_zoho.sandbox.amazon.documents"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
DE, GB = "A1PA6795UKMFR9", "A1F83G8C2ARO7P"
# Cp1252-only characters, so a client that ignores the charset header gets it wrong.
ORDER_TEXT = "amazon-order-id\tproduct-name\n028-1\tCafé crème – 2×\n"
SETTLEMENT_TEXT = "settlement-id\tsettlement-start-date\n9001\t2026-01-01 00:00:00 UTC\n"


@dataclass(frozen=True)
class FakeSettlement:
    report_id: str
    settlement_id: str
    marketplace_id: str
    start: datetime
    end: datetime
    created: datetime


def fake_documents() -> types.ModuleType:
    """Settlements published 10, 40 and 100 days ago; order reports empty for ranges under an hour."""
    module = types.ModuleType(DOCUMENTS_MODULE)

    def settlement_reports(app, now: datetime):
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        out = []
        for n, (age, market) in enumerate([(10, DE), (40, GB), (100, DE)]):
            end = day - timedelta(days=age)
            out.append(FakeSettlement(f"5000000{n}", f"900{n}", market, end - timedelta(days=14), end, end + timedelta(hours=6)))
        return out

    def render_order_report(app, report_type, marketplace_ids, start, end, now=None):
        if end - start < timedelta(hours=1):
            return None
        return ORDER_TEXT.encode("cp1252"), "Cp1252"

    def render_settlement(app, report_id):
        return SETTLEMENT_TEXT.encode("utf-8"), None

    module.settlement_reports = settlement_reports
    module.render_order_report = render_order_report
    module.render_settlement = render_settlement
    return module


@contextlib.contextmanager
def running(tmp_path, **knobs):
    """A sandbox on a free port; fast report processing unless a test asks otherwise."""
    settings = {"time_scale": 1000, "report_processing_seconds": 0.3, **knobs}
    with Sandbox(port=0, config=SandboxConfig(**settings), state_dir=tmp_path) as sb:
        yield sb


def session(sb) -> requests.Session:
    """An HTTP session carrying an LWA access token when the sandbox has an LWA endpoint."""
    s = requests.Session()
    token = s.post(
        f"{sb.url}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": LWA_REFRESH_TOKEN,
            "client_id": LWA_CLIENT_ID,
            "client_secret": LWA_CLIENT_SECRET,
        },
    )
    if token.status_code == 200:
        s.headers["x-amz-access-token"] = token.json()["access_token"]
    return s


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def order_spec(hours: float = 48, report_type: str = ORDERS_BY_DATE, marketplaces=(DE,)) -> dict:
    end = clock.now() - timedelta(minutes=5)
    return {
        "reportType": report_type,
        "marketplaceIds": list(marketplaces),
        "dataStartTime": iso(end - timedelta(hours=hours)),
        "dataEndTime": iso(end),
    }


def create(s: requests.Session, sb, spec: dict) -> str:
    r = s.post(f"{sb.url}{BASE}/reports", json=spec)
    assert r.status_code == 202, r.text
    return r.json()["reportId"]


def wait_final(s: requests.Session, sb, report_id: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        report = s.get(f"{sb.url}{BASE}/reports/{report_id}").json()
        if report["processingStatus"] in ("DONE", "FATAL", "CANCELLED") or time.monotonic() > deadline:
            return report
        time.sleep(0.02)


def use_fake_documents(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, DOCUMENTS_MODULE, fake_documents())
