"""A long range backfilled in one run from the all-orders flat-file report: one report instead of many pages,
getOrder only for the merchant-fulfilled buyers Zoho needs, the same canonical orders as the API path, and a
re-run that changes nothing."""

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import dagster as dg
import duckdb
import requests

from amazon_zoho.amazon.marketplaces import BY_ID
from amazon_zoho.amazon.order_assets import BULK_THRESHOLD_DAYS
from amazon_zoho.amazon.orders import search_orders
from amazon_zoho.amazon.sensors import RANGE_END, RANGE_START
from amazon_zoho.definitions import defs
from amazon_zoho_tests.truth import day_ago, truth_orders, zoho_records

ASSETS = list(defs.assets)
GRAPH = defs.get_repository_def().asset_graph
RAW_ORDERS = dg.AssetKey(["amazon_raw", "raw_orders"])
ORDER_PATH = [k for k in dg.AssetSelection.keys(RAW_ORDERS).downstream().resolve(GRAPH) if GRAPH.get(k).partitions_def == GRAPH.get(RAW_ORDERS).partitions_def]
BUYER_SHOWN = {"UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"}


def run(resources, first, last, selection):
    result = dg.materialize(ASSETS, selection=selection, resources=resources,
                            tags={RANGE_START: first.isoformat(), RANGE_END: last.isoformat()})
    assert result.success
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == RAW_ORDERS][:1]
    # A ranged run's figures are the range's (warehouse/figures.py): read them under their plain names.
    return {k.removeprefix("range_"): v.value for k, v in event.materialization.metadata.items()}


def test_long_range_comes_from_one_report_with_buyers_only_where_zoho_needs_them(sandbox, resources, project_env):
    first, last = day_ago(10), day_ago(2)
    assert (last - first).days + 1 > BULK_THRESHOLD_DAYS
    before = max((c["id"] for c in _amazon_calls(sandbox.url)), default=0)

    meta = run(resources, first, last, ORDER_PATH)

    truth = {o["orderId"]: o for o in truth_orders(sandbox.url, first, last)}
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"], read_only=True) as conn:
        core = {r[0]: r[1:] for r in conn.execute(
            "SELECT order_id, order_status, fulfillment_channel, order_total, buyer_key FROM core.orders").fetchall()}
        lines = conn.execute("SELECT count(*) FROM core.order_lines").fetchone()[0]
        sources = dict(conn.execute("SELECT source, count(DISTINCT order_id) FROM raw.order_versions "
                                    "WHERE purchase_date BETWEEN ? AND ? GROUP BY 1", [first, last]).fetchall())
    needs_buyer = {oid for oid, o in truth.items() if o["fulfilledBy"] == "MERCHANT" and o["status"] in BUYER_SHOWN}
    calls = meta["amazon_calls_by_operation"]
    assert meta["path"] == "reports" and meta["orders_fetched"] == len(truth) and meta["quarantined"] == 0
    assert calls["createReport"] == 1 and calls["getReportDocument"] == 1
    # Every getOrder the client counted reached the sandbox; those answered 2xx are one per order that needs its buyer.
    # The others can only be the sandbox's expired-token 403s (at its time scale an access token lasts seconds, so a
    # slow machine meets one), each retried once with a new token: exact counts, whatever the machine's speed.
    get_orders = [c for c in _amazon_calls(sandbox.url, before) if c["operation"] == "getOrder"]
    answered = [c for c in get_orders if c["status"] < 300]
    assert calls["getOrder"] == len(get_orders) and {c["status"] for c in get_orders} <= {200, 403}
    assert len(answered) == meta["buyer_lookups"] == len(needs_buyer) > 0
    assert sources["report"] == len(truth) and sources["getOrder"] == len(needs_buyer)

    assert {oid: row[0] for oid, row in core.items()} == {oid: o["status"] for oid, o in truth.items()}
    assert lines == sum(o["itemCount"] for o in truth.values())
    priced = {oid for oid, o in truth.items() if o["status"] not in ("PENDING", "CANCELLED")}
    assert {oid: core[oid][2] for oid in priced} == {oid: Decimal(truth[oid]["grandTotal"]) for oid in priced}
    assert {oid for oid, row in core.items() if row[3]} == needs_buyer
    contacts = {c["Amazon_Buyer_Key"] for c in zoho_records(sandbox.url, "Contacts")}
    assert {core[oid][3] for oid in needs_buyer} <= contacts

    again = run(resources, first, last, [RAW_ORDERS])
    assert again["new_versions"] == 0 and "getOrder" not in again["amazon_calls_by_operation"]
    log = requests.get(f"{sandbox.url}/_sandbox/calls", params={"service": "amazon"}, timeout=10).json()["calls"]
    assert not [c for c in log if c["status"] == 429]


def test_report_orders_read_like_the_api_orders(sandbox, resources, project_env):
    """Field by field, what core reads from a report-built order equals searchOrders' version of that state."""
    first, last = day_ago(9), day_ago(4)
    run(resources, first, last, [RAW_ORDERS])
    amazon = resources["amazon"]
    start = datetime(first.year, first.month, first.day, tzinfo=timezone.utc)
    api = {o.order_id: o.payload for o in search_orders(amazon.client(), amazon.marketplace_ids, start, start + timedelta(days=6))}
    with duckdb.connect(project_env["AMAZON_ZOHO_WAREHOUSE"]) as conn:
        conn.execute("CREATE TEMP TABLE api AS SELECT * FROM (SELECT unnest(?) AS order_id, unnest(?)::JSON AS payload)",
                     [list(api), list(api.values())])
        compared = conn.execute(READ_LIKE_CORE).fetchall()
        pairs = conn.execute(PAIRS).fetchall()
    differences = Counter(field for _, field, same in compared if not same)
    assert len({oid for oid, _, _ in compared}) > 50
    assert not differences, differences
    # Money: each API shows it in its own tax convention (amazon/marketplaces.csv), so the report's amounts are the
    # API's with the tax put inside where the report's convention says so, item by item and breakdown by breakdown.
    money = Counter()
    for marketplace_id, report, shown in pairs:
        report, shown = json.loads(report), json.loads(shown)
        gross = BY_ID[marketplace_id].prices_include_tax and not BY_ID[marketplace_id].proceeds_include_tax
        for mine, theirs in zip(report["orderItems"], shown["orderItems"]):
            money["items"] += 1
            if theirs.get("proceeds") is None:
                money["same"] += mine.get("proceeds") is None
                continue
            expected = _as_report_shows(theirs, gross)
            assert expected == _parts(mine), (report["orderId"], mine, theirs)
            money["same"] += 1
            unit = (expected["ITEM"] / theirs["quantityOrdered"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
            assert Decimal(mine["product"]["price"]["unitPrice"]["amount"]) == unit
    assert money["items"] > 50 and money["same"] == money["items"], money


def _parts(item: dict) -> dict:
    """An item's breakdowns, and its TAX and DISCOUNT details, by type: {"ITEM": 10.00, "TAX.ITEM": 1.90, ...}."""
    out = {}
    for b in item["proceeds"]["breakdowns"]:
        out[b["type"]] = out.get(b["type"], Decimal(0)) + Decimal(b["subtotal"]["amount"])
        for d in b.get("detailedBreakdowns") or []:
            key = f"{b['type']}.{d['subtype']}"
            out[key] = out.get(key, Decimal(0)) + Decimal(d["value"]["amount"])
    return {k: v for k, v in out.items() if v or k in ("ITEM", "TAX", "TAX.ITEM")}


def _as_report_shows(item: dict, gross: bool) -> dict:
    """The API's item breakdowns as the order report shows them: with each amount's own tax inside when `gross`,
    and item-tax / shipping-tax as the tax on what is charged (the promotions' tax taken off). The API states the
    promotions' tax together (TAX.DISCOUNT); the sandbox's shipping promotions are whole free-shipping ones, so the
    shipping promotion's tax is the shipping's (TAX.SHIPPING) and the rest is the item promotion's."""
    api = _parts(item)
    if not gross:
        return api
    ship_promo_tax = api.get("TAX.SHIPPING", 0) if "DISCOUNT.SHIPPING" in api else Decimal(0)
    item_promo_tax = -api.get("TAX.DISCOUNT", 0) - ship_promo_tax
    out = {k: api[k] + api.get(f"TAX.{k}", 0) for k in ("ITEM", "SHIPPING", "GIFT_WRAP") if k in api}
    if "DISCOUNT.ITEM" in api:
        out["DISCOUNT.ITEM"] = api["DISCOUNT.ITEM"] - item_promo_tax
    if "DISCOUNT.SHIPPING" in api:
        out["DISCOUNT.SHIPPING"] = api["DISCOUNT.SHIPPING"] - ship_promo_tax
    if "DISCOUNT" in api:
        out["DISCOUNT"] = out.get("DISCOUNT.ITEM", 0) + out.get("DISCOUNT.SHIPPING", 0)
    out.update({"TAX": api["TAX"], "TAX.ITEM": api.get("TAX.ITEM", 0) - item_promo_tax,
                "TAX.SHIPPING": api.get("TAX.SHIPPING", 0) - ship_promo_tax, "TAX.GIFT_WRAP": api.get("TAX.GIFT_WRAP", 0)})
    return {k: v for k, v in out.items() if v or k in ("ITEM", "TAX", "TAX.ITEM")}


# The fields core and the Zoho mapping read, per order and per item, side by side for the same lastUpdatedTime.
# Money beyond the totals (unit prices, breakdowns) is compared in Python above: the two APIs differ in tax convention.
_FIELDS = [
    "createdTime", "salesChannel.marketplaceId", "salesChannel.marketplaceName", "fulfillment.fulfillmentStatus",
    "fulfillment.fulfilledBy", "recipient.deliveryAddress.countryCode", "proceeds.grandTotal",
    "orderItems[*].orderItemId", "orderItems[*].quantityOrdered", "orderItems[*].product.sellerSku",
    "orderItems[*].product.asin", "orderItems[*].product.title",
    "orderItems[*].proceeds.proceedsTotal", "orderItems[*].fulfillment.quantityFulfilled",
]
_SAME = ",\n        ".join(
    f"json_extract(r, '$.{f}')::VARCHAR IS NOT DISTINCT FROM json_extract(a, '$.{f}')::VARCHAR AS \"{f}\"" for f in _FIELDS
)
READ_LIKE_CORE = """
WITH pairs AS (
    SELECT r.order_id, r.payload AS r, a.payload AS a
    FROM raw.order_versions r JOIN api a USING (order_id)
    WHERE r.source = 'report' AND (r.payload ->> '$.lastUpdatedTime') = (a.payload ->> '$.lastUpdatedTime')
),
compared AS (
    SELECT order_id,
        SAME
    FROM pairs
)
SELECT order_id, field, same FROM compared UNPIVOT (same FOR field IN (COLUMNS(* EXCLUDE order_id)))
""".replace("SAME", _SAME)
PAIRS = """
SELECT r.marketplace_id, r.payload::VARCHAR, a.payload::VARCHAR
FROM raw.order_versions r JOIN api a USING (order_id)
WHERE r.source = 'report' AND (r.payload ->> '$.lastUpdatedTime') = (a.payload ->> '$.lastUpdatedTime')
"""


def _amazon_calls(url: str, since_id: int = 0) -> list[dict]:
    """The sandbox's log of Amazon calls after `since_id`: operation and HTTP status of each."""
    return requests.get(f"{url}/_sandbox/calls", params={"service": "amazon", "since_id": since_id}, timeout=30).json()["calls"]
