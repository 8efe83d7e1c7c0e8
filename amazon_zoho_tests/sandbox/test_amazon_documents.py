"""The real document producers behind the Reports API (settlement files, all-orders flat files) and the
truth endpoint, spoken to over HTTP like a client would."""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests

from amazon_zoho import clock
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.amazon.documents import render_settlement
from amazon_zoho_tests.sandbox.reports_fixtures import BASE, DE, GB, ORDERS_BY_DATE, SETTLEMENT, create, iso, session, wait_final

KNOBS = {"orders_per_day": 4, "time_scale": 1000, "report_processing_seconds": 0.05, "rate_limits": False}
SETTLEMENT_HEADER = (
    "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
    "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\t"
    "amount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\t"
    "merchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id"
).split("\t")
ORDER_HEADER = (
    "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\torder-item-id\t"
    "fulfillment-channel\tsales-channel\torder-channel\tship-service-level\tproduct-name\tsku\tasin\titem-status\t"
    "quantity\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\t"
    "item-promotion-discount\tship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\t"
    "promotion-ids\tcpf\tis-business-order\tpurchase-order-number\tprice-designation\tsignature-confirmation-recommended"
).split("\t")
UTC_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$")
DE_AMOUNT = re.compile(r"^-?\d+,\d{2}$")
COL = {name: i for i, name in enumerate(SETTLEMENT_HEADER)}


def started(path, **knobs) -> Sandbox:
    return Sandbox(port=0, config=SandboxConfig(**{**KNOBS, **knobs}), state_dir=path).start()


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    sandbox = started(tmp_path_factory.mktemp("documents"))
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def s(sb):
    return session(sb)


def listed_settlements(s, sb) -> list[dict]:
    r = s.get(f"{sb.url}{BASE}/reports", params={"reportTypes": SETTLEMENT, "pageSize": 100})
    assert r.status_code == 200, r.text
    return r.json()["reports"]


def download(s, sb, report: dict) -> requests.Response:
    doc = s.get(f"{sb.url}{BASE}/documents/{report['reportDocumentId']}").json()
    answer = requests.get(doc["url"])  # presigned: no access token
    assert answer.status_code == 200 and answer.content[:2] == b"\x1f\x8b"
    return answer


def newest(reports: list[dict], marketplace: str) -> dict:
    return max((r for r in reports if r["marketplaceIds"] == [marketplace]), key=lambda r: r["createdTime"])


def truth_orders(sb, after: datetime, before: datetime) -> list[dict]:
    r = requests.get(f"{sb.url}/_sandbox/amazon/truth/orders", params={"createdAfter": iso(after), "createdBefore": iso(before)})
    assert r.status_code == 200, r.text
    return r.json()["orders"]


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace(" UTC", "+00:00").replace("Z", "+00:00"))


def de_amount(text: str) -> Decimal:
    assert DE_AMOUNT.match(text), text
    return Decimal(text.replace(",", "."))


# -- settlements --------------------------------------------------------------------------------
def test_settlements_come_every_14_days_in_contiguous_staggered_periods(s, sb):
    by_market = defaultdict(list)
    for report in listed_settlements(s, sb):
        assert report["processingStatus"] == "DONE" and report["reportType"] == SETTLEMENT
        by_market[report["marketplaceIds"][0]].append(report)
    assert set(by_market) == set(sb.app.config.marketplaces)
    for reports in by_market.values():
        reports.sort(key=lambda r: r["dataStartTime"])
        assert 5 <= len(reports) <= 8  # 90 days of retention
        for report in reports:
            length = ts(report["dataEndTime"]) - ts(report["dataStartTime"])
            assert timedelta(days=13, hours=18) <= length <= timedelta(days=14, hours=6)
            assert timedelta(0) < ts(report["createdTime"]) - ts(report["dataEndTime"]) < timedelta(hours=12)
        for earlier, later in zip(reports, reports[1:]):
            assert later["dataStartTime"] == earlier["dataEndTime"]
    assert len({reports[-1]["dataEndTime"] for reports in by_market.values()}) == len(by_market)


def test_settlement_file_ties_out_and_lists_real_shipped_orders(s, sb):
    report = newest(listed_settlements(s, sb), DE)
    answer = download(s, sb, report)
    assert answer.headers["Content-Type"] == "text/plain"  # settlements declare no charset
    lines = gzip.decompress(answer.content).decode("utf-8").splitlines()
    rows = [line.split("\t") for line in lines]
    assert rows[0] == SETTLEMENT_HEADER and all(len(row) == 24 for row in rows)

    summary, details = rows[1], rows[2:]
    assert all(summary[:6]) and not any(summary[6:]) and summary[5] == "EUR"
    assert all(UTC_STAMP.match(summary[i]) for i in (1, 2, 3))
    start, end = ts(summary[1]), ts(summary[2])
    assert (start, end) == (ts(report["dataStartTime"]), ts(report["dataEndTime"]))
    assert all(row[0] == summary[0] and not any(row[1:6]) for row in details)
    total = de_amount(summary[COL["total-amount"]])
    assert total == sum(de_amount(row[COL["amount"]]) for row in details)

    truth = {o["orderId"]: o for o in truth_orders(sb, start - timedelta(days=14), end)}
    orders = [row for row in details if row[COL["transaction-type"]] == "Order"]
    assert orders
    for row in orders:
        order = truth[row[COL["order-id"]]]
        assert order["marketplaceId"] == DE and order["status"] == "SHIPPED"
        assert start <= ts(row[COL["posted-date-time"]]) < end
        assert row[COL["fulfillment-id"]] == ("AFN" if order["fulfilledBy"] == "AMAZON" else "MFN")
        assert row[COL["marketplace-name"]] == "Amazon.de"
    for row in details:
        posted = ts(row[COL["posted-date-time"]])
        assert row[COL["posted-date"]] == posted.strftime("%d.%m.%Y")
    descriptions = {row[COL["amount-description"]] for row in details}
    assert {"Principal", "Commission", "Current Reserve Amount", "Previous Reserve Amount Balance"} <= descriptions

    published = requests.get(f"{sb.url}/_sandbox/amazon/truth/settlements").json()["settlements"]
    mine = next(t for t in published if t["report_id"] == report["reportId"])
    assert Decimal(mine["total"]) == total and mine["detail_row_count"] == len(details)


def test_the_subscription_fee_is_charged_monthly(s, sb):
    published = requests.get(f"{sb.url}/_sandbox/amazon/truth/settlements").json()["settlements"]
    gb = [t for t in published if t["marketplace_id"] == GB]
    texts = [gzip.decompress(download(s, sb, r).content).decode() for r in listed_settlements(s, sb) if r["marketplaceIds"] == [GB]]
    assert len(texts) == len(gb)
    assert sum("Subscription Fee\t-25.00" in text for text in texts) in (2, 3, 4)  # monthly, 90 days


def test_unknown_settlement_report_id_is_a_key_error(sb):
    with pytest.raises(KeyError):
        render_settlement(sb.app, "100000000000")


def test_malformed_row_knob_corrupts_a_reproducible_share_of_rows(tmp_path):
    bodies = []
    for name in ("first", "second"):
        sandbox = started(tmp_path / name, fault_malformed_row_rate=0.1)
        try:
            s = session(sandbox)
            bodies.append(gzip.decompress(download(s, sandbox, newest(listed_settlements(s, sandbox), DE)).content))
        finally:
            sandbox.stop()
    assert bodies[0] == bodies[1]
    details = [line.split("\t") for line in bodies[0].decode("utf-8").splitlines()[2:]]
    bad = [row for row in details if len(row) != 24 or not DE_AMOUNT.match(row[COL["amount"]])]
    assert 0.03 * len(details) < len(bad) < 0.2 * len(details)
    assert any(len(row) == 23 for row in bad) and any(len(row) == 24 for row in bad)


# -- order flat files ---------------------------------------------------------------------------
def test_order_report_by_date_has_one_row_per_item_of_the_true_orders(s, sb):
    end = clock.now() - timedelta(minutes=5)
    start = end - timedelta(days=3)
    spec = {"reportType": ORDERS_BY_DATE, "marketplaceIds": [DE, GB], "dataStartTime": iso(start), "dataEndTime": iso(end)}
    report = wait_final(s, sb, create(s, sb, spec))
    assert report["processingStatus"] == "DONE", report
    answer = download(s, sb, report)
    assert answer.headers["Content-Type"] == "text/plain;charset=Cp1252"
    rows = [line.split("\t") for line in gzip.decompress(answer.content).decode("cp1252").splitlines()]
    assert rows[0] == ORDER_HEADER and all(len(row) == 34 for row in rows)

    truth = [o for o in truth_orders(sb, start, end) if o["marketplaceId"] in (DE, GB)]
    assert len(rows) - 1 == sum(o["itemCount"] for o in truth)
    assert {row[0] for row in rows[1:]} == {o["orderId"] for o in truth}
    assert {row[4] for row in rows[1:]} <= {"Pending", "Unshipped", "Shipped", "Cancelled"}
    assert {row[7] for row in rows[1:]} <= {"Amazon.de", "Amazon.co.uk"}
    assert all(row[2].endswith("+00:00") and start <= ts(row[2]) < end for row in rows[1:])


def test_order_report_by_last_update_selects_on_the_update_time(s, sb):
    end = clock.now() - timedelta(minutes=5)
    start = end - timedelta(days=1)
    spec = {"reportType": ORDERS_BY_DATE.replace("ORDER_DATE", "LAST_UPDATE"), "marketplaceIds": [DE],
            "dataStartTime": iso(start), "dataEndTime": iso(end)}
    report = wait_final(s, sb, create(s, sb, spec))
    assert report["processingStatus"] == "DONE", report
    rows = [line.split("\t") for line in gzip.decompress(download(s, sb, report).content).decode("cp1252").splitlines()[1:]]
    assert rows and all(start <= ts(row[3]) < end for row in rows)


def test_an_empty_window_is_cancelled_without_a_document(s, sb):
    moment = iso(clock.now() - timedelta(hours=1))
    spec = {"reportType": ORDERS_BY_DATE, "marketplaceIds": [DE], "dataStartTime": moment, "dataEndTime": moment}
    report = wait_final(s, sb, create(s, sb, spec))
    assert report["processingStatus"] == "CANCELLED" and "reportDocumentId" not in report


def test_same_seed_gives_the_same_documents(s, sb, tmp_path):
    # A window three weeks back: its orders have no events left, so "as of now" cannot differ.
    end = clock.now() - timedelta(days=20)
    spec = {"reportType": ORDERS_BY_DATE, "marketplaceIds": [DE, GB], "dataStartTime": iso(end - timedelta(days=5)), "dataEndTime": iso(end)}
    other = started(tmp_path)
    try:
        t = session(other)
        ours, theirs = listed_settlements(s, sb), listed_settlements(t, other)
        assert ours and ours == theirs
        assert download(s, sb, ours[0]).content == download(t, other, theirs[0]).content
        mine = download(s, sb, wait_final(s, sb, create(s, sb, spec)))
        yours = download(t, other, wait_final(t, other, create(t, other, spec)))
        assert gzip.decompress(mine.content) == gzip.decompress(yours.content)
    finally:
        other.stop()


def test_truth_orders_needs_a_valid_window(sb):
    assert requests.get(f"{sb.url}/_sandbox/amazon/truth/orders").status_code == 400
    assert requests.get(f"{sb.url}/_sandbox/amazon/truth/orders", params={"createdAfter": "yesterday"}).status_code == 400
