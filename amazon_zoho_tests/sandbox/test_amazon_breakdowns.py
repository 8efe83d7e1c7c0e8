"""The simulated Amazon sells with gift wrap, promotions, shipping charges, tips and partly cancelled orders, in
marketplaces of both tax conventions, and shows each order the same way in Orders API v2026 and the order report.

Shares are measured on 30 days of the generator (a pure function of the seed), the renderings over real HTTP.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests

from amazon_zoho import clock
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.amazon.datagen import PENDING, TIP_FINALIZED, orders_for_day
from amazon_zoho.sandbox.amazon.order_flat_file import BY_ORDER_DATE, HEADER, render_order_report
from amazon_zoho.sandbox.amazon.orders_view import order_json
from amazon_zoho.sandbox.config import MARKETPLACES
from amazon_zoho_tests.sandbox.reports_fixtures import session

US, CA, DE, GB, FR = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH"
ORDERS = "/orders/2026-01-01/orders"
D = Decimal


def _thirty_days(marketplace_id: str) -> list:
    config = SandboxConfig(orders_per_day=40)
    first = date(2026, 5, 1)
    return [o for k in range(30) for o in orders_for_day(config, marketplace_id, first + timedelta(days=k))]


@pytest.mark.parametrize("marketplace_id", [US, CA, DE, GB, FR])
def test_thirty_days_carry_every_breakdown_in_a_realistic_share(marketplace_id):
    orders = _thirty_days(marketplace_id)
    n = len(orders)
    share = Counter()
    for o in orders:
        share["gift wrap"] += any(i.gift_wrap_net for i in o.items)
        share["item promotion"] += any(i.promotion_net for i in o.items)
        share["shipping charged"] += any(i.shipping_net for i in o.items)
        share["free-shipping promotion"] += any(i.ship_promotion_net for i in o.items)
        share["partly cancelled"] += any(i.cancelled for i in o.items)
        share["tip"] += bool(o.tip)
    percent = {k: 100 * v / n for k, v in share.items()}
    assert n > 1000
    assert 2 <= percent["gift wrap"] <= 7, percent
    assert 6 <= percent["item promotion"] <= 16, percent
    assert 10 <= percent["shipping charged"] <= 25, percent
    assert 3 <= percent["free-shipping promotion"] <= 9, percent
    assert 1.5 <= percent["partly cancelled"] <= 5, percent
    # Tips: only where Amazon's one example is (Amazon.com). COD: Amazon documents it for JP only, not simulated.
    assert (1 <= percent["tip"] <= 5) if marketplace_id == US else percent["tip"] == 0, percent


def test_every_order_adds_up_in_the_orders_api_with_tax_added_in_both_conventions():
    included = {"PROCEEDS", "FULFILLMENT", "CANCELLATION", "PROMOTION"}
    now = clock.now()
    for marketplace_id in (US, DE):
        for order in _thirty_days(marketplace_id)[:600]:
            state = order.as_of(now)
            if state is None:
                continue
            shown = order_json(order, *state, included)
            if "proceeds" not in shown:
                continue
            items = [i for i in shown["orderItems"] if "proceeds" in i]
            for item in items:
                parts = sum(D(b["subtotal"]["amount"]) for b in item["proceeds"]["breakdowns"])  # TAX added (marketplaces.csv)
                assert parts == D(item["proceeds"]["proceedsTotal"]["amount"]), item
                unit = D(item["product"]["price"]["unitPrice"]["amount"])
                [item_part] = [D(b["subtotal"]["amount"]) for b in item["proceeds"]["breakdowns"] if b["type"] == "ITEM"]
                assert unit * item["quantityOrdered"] == item_part, "unitPrice x quantity = ITEM, as in every model example"
            tip = sum((D(b["subtotal"]["amount"]) for b in shown["proceeds"]["breakdowns"] if b["type"] == "DELIVERY_TIP"), D(0))
            assert D(shown["proceeds"]["grandTotal"]["amount"]) == sum(D(i["proceeds"]["proceedsTotal"]["amount"]) for i in items) + tip
            assert D(shown["proceeds"]["grandTotal"]["amount"]) == order.paid
            gone = [i for i in shown["orderItems"] if "cancellation" in i]
            assert all(i["fulfillment"] == {"quantityFulfilled": 0, "quantityUnfulfilled": 0} and "proceeds" not in i for i in gone)


def test_a_tip_is_pending_until_finalized_two_days_after_shipping_and_that_moves_last_updated():
    tipped = next(o for o in _thirty_days(US) if o.tip)
    finalized = tipped.event_time(TIP_FINALIZED)
    before, after = tipped.as_of(finalized - timedelta(seconds=1)), tipped.as_of(finalized)
    assert before[0] == after[0] == "SHIPPED" and after[1] == finalized > before[1]

    def tip(state):
        [b] = [b for b in order_json(tipped, *state, {"PROCEEDS"})["proceeds"]["breakdowns"] if b["type"] == "DELIVERY_TIP"]
        return b["status"], D(b["subtotal"]["amount"])

    assert tip(before) == ("PENDING", tipped.tip) and tip(after) == ("FINALIZED", tipped.tip)


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    config = SandboxConfig(orders_per_day=60, marketplaces=[US, DE, GB], rate_limits=False)
    with Sandbox(port=0, config=config, state_dir=tmp_path_factory.mktemp("sandbox")) as sandbox:
        yield sandbox


def test_the_report_and_the_api_show_each_order_in_their_own_tax_convention_to_the_same_total(sb):
    end = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=4)
    start = end - timedelta(days=6)
    s = session(sb)
    api = {}
    params = {"marketplaceIds": [US, DE, GB], "createdAfter": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "createdBefore": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "includedData": "PROCEEDS,FULFILLMENT,CANCELLATION"}
    while True:
        body = s.get(sb.url + ORDERS, params=params).json()
        api.update({o["orderId"]: o for o in body["orders"]})
        if "pagination" not in body:
            break
        params["paginationToken"] = body["pagination"]["nextToken"]
    text, _ = render_order_report(sb.app, BY_ORDER_DATE, [US, DE, GB], start, end)
    rows = [dict(zip(HEADER, line.split("\t"))) for line in text.decode("cp1252").splitlines()[1:]]
    assert {r["amazon-order-id"] for r in rows} == set(api)

    report_total: Counter = Counter()
    seen = Counter()
    for r in rows:
        order = api[r["amazon-order-id"]]
        if "proceeds" not in order or r["item-status"] == "Cancelled":
            seen["cancelled item" if r["item-status"] == "Cancelled" and "proceeds" in order else "unpriced"] += 1
            continue
        money = {c: D(r[c] or "0") for c in HEADER[16:24]}
        tax_added = not MARKETPLACES[order["salesChannel"]["marketplaceId"]].prices_include_tax
        paid = (money["item-price"] + money["shipping-price"] + money["gift-wrap-price"] + money["item-promotion-discount"]
                + money["ship-promotion-discount"])
        if tax_added:
            paid += money["item-tax"] + money["shipping-tax"] + money["gift-wrap-tax"]
        report_total[r["amazon-order-id"]] += paid
        [item] = [i for i in order["orderItems"] if i["orderItemId"] == r["order-item-id"]]
        parts = {b["type"]: D(b["subtotal"]["amount"]) for b in item["proceeds"]["breakdowns"]}
        taxes = {d["subtype"]: D(d["value"]["amount"]) for b in item["proceeds"]["breakdowns"] if b["type"] == "TAX" for d in b["detailedBreakdowns"]}
        # The report's item-price is the API's ITEM with its tax inside where prices include tax, the same amount where it is added.
        assert money["item-price"] == parts["ITEM"] + (0 if tax_added else taxes["ITEM"]), (r, item)
        assert money["gift-wrap-price"] == parts.get("GIFT_WRAP", 0) + (0 if tax_added else taxes.get("GIFT_WRAP", 0))
        seen["gift wrap"] += money["gift-wrap-price"] > 0
        seen["ship promotion"] += money["ship-promotion-discount"] < 0
        seen["EU" if not tax_added else "US"] += 1
    for order_id, total in report_total.items():
        proceeds = api[order_id]["proceeds"]
        tip = sum((D(b["subtotal"]["amount"]) for b in proceeds["breakdowns"] if b["type"] == "DELIVERY_TIP"), D(0))
        assert total == D(proceeds["grandTotal"]["amount"]) - tip, order_id  # the report has no tip column
    assert min(seen["gift wrap"], seen["ship promotion"], seen["cancelled item"], seen["EU"], seen["US"]) > 0, seen


def test_a_us_configured_pipeline_meets_tips_and_sales_tax_end_to_end(sb):
    # The truth endpoint's grandTotal includes the tip, as the API's does.
    end = clock.now() - timedelta(days=4)
    truth = requests.get(sb.url + "/_sandbox/amazon/truth/orders", params={
        "createdAfter": (end - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ"), "createdBefore": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
        timeout=30).json()["orders"]
    s = session(sb)
    tipped = []
    for o in truth:
        if o["marketplaceId"] != US or o["status"] in (PENDING, "CANCELLED"):
            continue
        shown = s.get(f"{sb.url}{ORDERS}/{o['orderId']}", params={"includedData": "PROCEEDS"}).json()["order"]
        assert shown["proceeds"]["grandTotal"]["amount"] == o["grandTotal"]
        if any(b["type"] == "DELIVERY_TIP" for b in shown["proceeds"]["breakdowns"]):
            tipped.append(json.dumps(shown))
        if len(tipped) >= 2:
            break
    assert tipped, "20 days of US orders carry a tip"
