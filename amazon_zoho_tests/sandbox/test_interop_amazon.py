"""The sandbox speaks SP-API well enough for a client we did not write: python-amazon-sp-api (`sp_api`),
a widely used Python SP-API library, lists orders (Orders v2026-01-01), finds, polls and downloads
reports (Reports 2021-06-30) and turns our 429/403 answers into its own exceptions.

The library has no setting for another host, so it is pointed at the sandbox through its constructor:
- `marketplace=`: `Client` reads only `.endpoint`, `.marketplace_id` and `.region` from it, and the
  `Marketplaces` enum holds Amazon's hosts, so a look-alike object carries the sandbox URL;
- `auth_token_client_class=`: the library's own knob for the LWA client; `AccessTokenClient` builds the
  token URL from its class attributes `scheme + host + path`, so a subclass swaps scheme and host.
(It still sends `host: <endpoint[8:]>`, written for https URLs; the sandbox does not route on Host.)
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from sp_api.api import Orders, Reports
from sp_api.auth import AccessTokenClient, access_token_client
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import SellingApiForbiddenException, SellingApiRequestThrottledException
from sp_api.util import load_all_pages

from amazon_zoho import clock
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.config import LWA_CLIENT_ID, LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN

DE = "A1PA6795UKMFR9"
SETTLEMENT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
ORDERS_BY_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
FULFILLMENT_STATUSES = {"PENDING_AVAILABILITY", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED", "UNFULFILLABLE"}
CREDENTIALS = {"lwa_app_id": LWA_CLIENT_ID, "lwa_client_secret": LWA_CLIENT_SECRET, "refresh_token": LWA_REFRESH_TOKEN}


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    config = SandboxConfig(rate_limits=False, report_processing_seconds=0.2)
    with Sandbox(port=0, config=config, state_dir=tmp_path_factory.mktemp("sandbox")) as sb:
        yield sb


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    # An SP_API_DEFAULT_MARKETPLACE in the environment would replace our marketplace (and host), and
    # a proxy would see loopback traffic; neither may reach this test.
    monkeypatch.delenv("SP_API_DEFAULT_MARKETPLACE", raising=False)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1")
    # sp_api caches access tokens (per refresh token, and grantless ones per scope) in module globals; a token of
    # another sandbox would be refused here.
    access_token_client.cache.clear()
    access_token_client.grantless_cache.clear()
    yield
    access_token_client.cache.clear()
    access_token_client.grantless_cache.clear()


def sp_client(cls, sb: Sandbox, credentials: dict = CREDENTIALS, **kwargs):
    marketplace = SimpleNamespace(endpoint=sb.url, marketplace_id=DE, region="eu-west-1")
    lwa = type("SandboxLwa", (AccessTokenClient,), {"scheme": "http://", "host": f"{sb.host}:{sb.port}"})
    return cls(marketplace, credentials=credentials, auth_token_client_class=lwa, **kwargs)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def knobs(sb):
    """Sets sandbox knobs for one test and puts the previous values back afterwards."""
    saved: dict = {}

    def apply(**changes):
        saved.update({k: getattr(sb.app.config, k) for k in changes if k not in saved})
        sb.app.set_config(changes)

    yield apply
    if saved:
        sb.app.set_config(saved)


# -- Orders v2026-01-01 --------------------------------------------------------------------------
def test_search_orders_pages_through_exactly_the_true_orders(sb):
    orders = sp_client(Orders, sb, version="2026-01-01")
    before = clock.now() - timedelta(hours=2)
    after = before - timedelta(days=2)
    # The library's own pager: it re-sends the filters with `paginationToken`, as the model asks.
    pages = list(
        load_all_pages(throttle_by_seconds=0, next_token_param="paginationToken")(orders.search_orders)(
            createdAfter=iso(after),
            createdBefore=iso(before),
            marketplaceIds=[DE],
            includedData=["PROCEEDS", "FULFILLMENT"],
            maxResultsPerPage=20,
        )
    )
    truth = requests.get(
        sb.url + "/_sandbox/amazon/truth/orders", params={"createdAfter": iso(after), "createdBefore": iso(before)}, timeout=30
    ).json()["orders"]
    expected = {o["orderId"]: o for o in truth if o["marketplaceId"] == DE}

    assert len(pages) > 1, "the window should need more than one page"
    assert all(p.next_token for p in pages[:-1]) and pages[-1].next_token is None
    assert all(p.rate_limit == "0.0056" and p.payload["createdBefore"] == iso(before) for p in pages)
    got = [o for p in pages for o in p.payload["orders"]]
    assert sorted(o["orderId"] for o in got) == sorted(expected)
    for order in got:
        assert order["salesChannel"]["marketplaceId"] == DE
        assert order["fulfillment"]["fulfillmentStatus"] in FULFILLMENT_STATUSES
        if "proceeds" in order:
            assert Decimal(order["proceeds"]["grandTotal"]["amount"]) == Decimal(expected[order["orderId"]]["grandTotal"])


def test_get_order_returns_the_order_with_its_items(sb):
    orders = sp_client(Orders, sb, version="2026-01-01")
    before = clock.now() - timedelta(hours=2)
    listed = orders.search_orders(createdAfter=iso(before - timedelta(days=1)), createdBefore=iso(before), marketplaceIds=[DE])
    order_id = listed.payload["orders"][0]["orderId"]

    res = orders.get_order(order_id, includedData=["BUYER", "RECIPIENT"])

    order = res.payload["order"]
    assert order["orderId"] == order_id and res.rate_limit == "0.5"
    assert order["orderItems"] and all(i["product"]["sellerSku"] for i in order["orderItems"])


# -- Reports 2021-06-30 --------------------------------------------------------------------------
def test_settlement_reports_are_listed_paged_and_downloaded_as_the_24_column_flat_file(sb):
    reports = sp_client(Reports, sb)
    # nextToken must be the only parameter of a follow-up call: the pager's next_token_only mode.
    pages = list(
        load_all_pages(throttle_by_seconds=0, next_token_param="nextToken", next_token_only=True)(reports.get_reports)(
            reportTypes=[SETTLEMENT], processingStatuses=["DONE"], marketplaceIds=[DE], pageSize=2
        )
    )
    listed = [r for p in pages for r in p.payload["reports"]]
    truth = requests.get(sb.url + "/_sandbox/amazon/truth/settlements", timeout=30).json()["settlements"]
    truth_de = {s["report_id"]: s for s in truth if s["marketplace_id"] == DE}
    assert len(pages) > 1 and sorted(r["reportId"] for r in listed) == sorted(truth_de)

    newest = max(listed, key=lambda r: r["createdTime"])
    report = reports.get_report(newest["reportId"]).payload
    assert report["processingStatus"] == "DONE" and report["reportDocumentId"] == newest["reportDocumentId"]

    res = reports.get_report_document(report["reportDocumentId"], download=True)

    assert res.payload["compressionAlgorithm"] == "GZIP"  # the library gunzipped it
    rows = [line.split("\t") for line in res.payload["document"].splitlines()]
    header, summary, details = rows[0], rows[1], rows[2:]
    assert len(header) == 24 and header[0] == "settlement-id" and header[-1] == "promotion-id"
    assert all(len(row) == 24 for row in rows)
    expected = truth_de[newest["reportId"]]
    assert summary[0] == expected["settlement_id"] and not any(summary[6:])
    assert Decimal(summary[4].replace(",", ".")) == Decimal(expected["total"])  # de_DE decimal comma
    assert len(details) == expected["detail_row_count"]


def test_an_order_report_is_created_polled_and_decoded_with_its_charset(sb):
    reports = sp_client(Reports, sb)
    end = clock.now() - timedelta(hours=1)
    created = reports.create_report(
        reportType=ORDERS_BY_DATE, marketplaceIds=[DE], dataStartTime=iso(end - timedelta(days=2)), dataEndTime=iso(end)
    )
    report_id = created.payload["reportId"]
    deadline = time.monotonic() + 10
    while (report := reports.get_report(report_id).payload)["processingStatus"] not in ("DONE", "FATAL", "CANCELLED"):
        assert time.monotonic() < deadline, f"report {report_id} still {report['processingStatus']}"
        time.sleep(0.1)
    assert report["processingStatus"] == "DONE"

    res = reports.get_report_document(report["reportDocumentId"], download=True)

    assert res.character_code.lower() == "cp1252"  # taken from the download's Content-Type
    lines = res.payload["document"].splitlines()
    assert lines[0].split("\t")[:2] == ["amazon-order-id", "merchant-order-id"] and len(lines) > 1


# -- errors the library must recognise -----------------------------------------------------------
def test_quota_exceeded_becomes_the_librarys_throttled_exception(sb, knobs):
    orders = sp_client(Orders, sb, version="2026-01-01")
    before = clock.now() - timedelta(hours=2)
    knobs(fault_429_rate=1.0, fault_target="amazon")

    with pytest.raises(SellingApiRequestThrottledException) as raised:
        orders.search_orders(createdAfter=iso(before - timedelta(days=1)), marketplaceIds=[DE])

    assert raised.value.amzn_code == "QuotaExceeded"
    assert raised.value.message == "You exceeded your quota for the requested resource."
    assert raised.value.headers["x-amzn-RequestId"]


def test_an_empty_token_bucket_throttles_after_the_burst(tmp_path):
    # Amazon's real plan for getReports (0.0222/s, burst 10): ten calls pass, the eleventh is refused.
    with Sandbox(port=0, config=SandboxConfig(rate_limits=True), state_dir=tmp_path) as fresh:
        reports = sp_client(Reports, fresh)
        for _ in range(10):
            assert reports.get_reports(reportTypes=[SETTLEMENT]).rate_limit == "0.0222"
        with pytest.raises(SellingApiRequestThrottledException) as raised:
            reports.get_reports(reportTypes=[SETTLEMENT])
    assert raised.value.amzn_code == "QuotaExceeded"


def test_an_expired_access_token_becomes_the_librarys_forbidden_exception(sb, knobs):
    reports = sp_client(Reports, sb)
    knobs(fault_token_expiry_rate=1.0, fault_target="amazon")

    with pytest.raises(SellingApiForbiddenException) as raised:
        reports.get_reports(reportTypes=[SETTLEMENT])

    assert raised.value.amzn_code == "Unauthorized"
    assert raised.value.error[0]["details"] == "The access token you provided has expired."


def test_bad_lwa_credentials_become_the_librarys_authorization_error(sb):
    reports = sp_client(Reports, sb, credentials={**CREDENTIALS, "lwa_client_secret": "wrong"})

    with pytest.raises(AuthorizationError) as raised:
        reports.get_reports(reportTypes=[SETTLEMENT])

    assert (raised.value.status_code, raised.value.error_code) == (401, "invalid_client")
