"""Amazon's own published orders load into core with every blocking check green, and so does every breakdown
type the model allows that no example carries.

The examples are the Orders API v2026-01-01 model's (../shared/reference/amazon/orders_2026-01-01.json, byte-identical
to amzn/selling-partner-api-models, models/orders-api-model/): every order of every getOrder and searchOrders response,
the documented examples and the x-amzn-api-sandbox ones. They go through the real path: store_orders (PII split,
raw.order_versions), then the core assets on a fresh warehouse, one partition per purchase day.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from amazon_zoho.amazon.order_store import store_orders
from amazon_zoho.amazon.orders import FetchedOrder
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho_tests.assets import asset

core_orders = asset("core", "orders")
GET_ORDER = "/orders/2026-01-01/orders/{orderId}"
SEARCH_ORDERS = "/orders/2026-01-01/orders"


def _reference() -> Path:
    """../shared/reference/amazon beside the clone (a worktree sits one level deeper, so look upwards)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "reference" / "amazon" / "orders_2026-01-01.json"
        if candidate.exists():
            return candidate
    pytest.skip("Amazon's orders_2026-01-01.json not found in any ../shared/reference/amazon above the tests")


@pytest.fixture(scope="module")
def model() -> dict:
    return json.loads(_reference().read_text())


def _responses(model: dict, path: str) -> list[dict]:
    """The 200 bodies of an operation: its documented examples and its sandbox responses."""
    ok = model["paths"][path]["get"]["responses"]["200"]
    bodies = list(ok.get("examples", {}).values())
    bodies += [case["response"] for case in ok.get("x-amzn-api-sandbox", {}).get("static", []) if "response" in case]
    return bodies


def example_orders(model: dict) -> list[dict]:
    """Every example order, its timestamps moved by whole days into the project's partitions (which start
    2026-01-01; the examples are from 2024-2025). Nothing else changes: amounts, ids and shapes are Amazon's."""
    orders = [o for body in _responses(model, SEARCH_ORDERS) for o in body.get("orders", [])]
    orders += [body["order"] for body in _responses(model, GET_ORDER) if "order" in body]
    return [_moved(o) for o in orders]


SHIFT = date(2026, 2, 1) - date(2024, 12, 20)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def _moved(node):
    if isinstance(node, dict):
        return {k: _moved(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_moved(v) for v in node]
    if isinstance(node, str) and _TIMESTAMP.fullmatch(node):
        moment = datetime.fromisoformat(node.replace("Z", "+00:00")) + SHIFT
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return node


@pytest.fixture
def warehouse(tmp_path) -> WarehouseResource:
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"), archive_dir=str(tmp_path / "archive"))
    with resource.connect():
        pass  # creates the schema
    return resource


def _store(warehouse: WarehouseResource, orders: list[dict], source: str = "getOrder") -> None:
    fetched = [FetchedOrder(o["orderId"], o["salesChannel"]["marketplaceId"], json.dumps(o), "example-request") for o in orders]
    with warehouse.connect() as conn:
        conn.begin()
        store_orders(conn, fetched, source, datetime.now(timezone.utc), "test-run", salt=warehouse.pii_salt)
        conn.commit()


def _build(warehouse: WarehouseResource, orders: list[dict]) -> list[dg.ExecuteInProcessResult]:
    days = sorted({o["createdTime"][:10] for o in orders})
    return [dg.materialize([core_orders], partition_key=day, resources={"warehouse": warehouse}) for day in days]


def _failed_checks(results) -> list[str]:
    return [f"{e.asset_key.to_user_string()} {e.check_name}: {e.metadata.get('sample')}"
            for r in results for e in r.get_asset_check_evaluations() if not e.passed]


def _rows(warehouse: WarehouseResource, query: str) -> list[tuple]:
    with duckdb.connect(warehouse.path, read_only=True) as conn:
        return conn.execute(query).fetchall()


def _money(amount: str, currency: str) -> dict:
    return {"amount": amount, "currencyCode": currency}


def test_every_order_example_of_the_model_loads_with_every_check_green_and_its_grand_total(model, warehouse):
    examples = example_orders(model)
    assert len(examples) >= 8, "4 searchOrders and 4 getOrder examples in the 2026-01-01 model"
    _store(warehouse, examples)
    results = _build(warehouse, examples)

    assert all(r.success for r in results)
    assert _failed_checks(results) == []
    assert _rows(warehouse, "SELECT record_key, reason FROM ops.quarantine") == []
    core = dict(_rows(warehouse, "SELECT order_id, order_total FROM core.orders"))
    assert core == {o["orderId"]: Decimal(o["proceeds"]["grandTotal"]["amount"]) for o in examples}
    # Lines: each item's proceedsTotal as Amazon sent it.
    lines = dict(_rows(warehouse, "SELECT order_item_id, line_total FROM core.order_lines"))
    assert lines == {i["orderItemId"]: Decimal(i["proceeds"]["proceedsTotal"]["amount"]) for o in examples for i in o["orderItems"]}


def test_the_delivery_tip_example_is_in_the_order_total_and_in_no_line(model, warehouse):
    # searchOrders example orders/0: ITEM 149.97 + TAX 0.02 + DELIVERY_TIP 5.00 (FINALIZED) = grandTotal 154.99, items 100.00 + 49.99.
    [tipped] = [o for o in example_orders(model) if any(b["type"] == "DELIVERY_TIP" for b in o.get("proceeds", {}).get("breakdowns", []))]
    _store(warehouse, [tipped])
    assert _failed_checks(_build(warehouse, [tipped])) == []
    assert _rows(warehouse, "SELECT order_total, item_subtotal, tax_total, delivery_tip, delivery_tip_status, prices_include_tax FROM core.orders") == [
        (Decimal("154.99"), Decimal("149.97"), Decimal("0.02"), Decimal("5.00"), "FINALIZED", False)]
    assert _rows(warehouse, "SELECT sum(line_total) FROM core.order_lines") == [(Decimal("149.99"),)]


def test_the_cancellation_example_item_shipped_in_full_so_it_still_counts(model, warehouse):
    # Its item 12345678901234 carries cancellation{cancellationRequest, cancellationExecution} yet quantityFulfilled 2 of
    # 2 and quantityUnfulfilled 0 in a SHIPPED order: no unit is cancelled, and grandTotal counts its 100.00.
    [order] = [o for o in example_orders(model) if any("cancellation" in i for i in o["orderItems"])]
    _store(warehouse, [order])
    assert _failed_checks(_build(warehouse, [order])) == []
    assert _rows(warehouse, "SELECT order_item_id, quantity_ordered, quantity_cancelled, cancelled, line_total FROM core.order_lines ORDER BY 1") == [
        ("12345678901234", 2, 0, False, Decimal("100.00")), ("12345678901235", 1, 0, False, Decimal("49.99"))]


def test_the_uk_example_adds_its_tax_on_top_as_the_orders_api_convention_says(model, warehouse):
    # getOrder example: ITEM 89.97 (3 x 29.99) + SHIPPING 10.00 + TAX 4.00 (ITEM 3.00, SHIPPING 1.00) = 103.97.
    [uk] = [o for o in example_orders(model) if o["orderId"] == "202-1234567-8901234"]
    _store(warehouse, [uk])
    assert _failed_checks(_build(warehouse, [uk])) == []
    assert _rows(warehouse, "SELECT order_total, item_subtotal, shipping_total, tax_total, prices_include_tax FROM core.orders") == [
        (Decimal("103.97"), Decimal("89.97"), Decimal("10.00"), Decimal("4.00"), False)]
    assert _rows(warehouse, "SELECT unit_price, item_amount, item_tax, shipping_tax FROM core.order_lines") == [
        (Decimal("29.99"), Decimal("89.97"), Decimal("4.00"), Decimal("1.00"))]


# Breakdown types the model allows that no example carries, each on a copy of the UK getOrder example (its shape is
# Amazon's; only the amounts are ours). Model references, all in orders_2026-01-01.json:
#   order breakdown types  #/definitions/OrderProceedsBreakdown/properties/type: ITEM, SHIPPING, GIFT_WRAP, COD_FEE,
#                          TAX, DISCOUNT, DELIVERY_TIP, OTHER ("The remaining categories are aggregated across all order items")
#   item breakdown types   #/definitions/ItemProceedsBreakdown/properties/type: ITEM, SHIPPING, GIFT_WRAP, COD_FEE, OTHER, TAX, DISCOUNT
#   detailed subtypes      #/definitions/ItemProceedsDetailedBreakdown ("only available for TAX and DISCOUNT"):
#                          ITEM, SHIPPING, GIFT_WRAP, COD_FEE, OTHER, DISCOUNT
#   cancelled item         #/definitions/ItemCancellation (cancellationExecution.cancelledBy BUYER, MERCHANT, AMAZON) and
#                          #/definitions/ItemFulfillment quantityFulfilled / quantityUnfulfilled


def _uk_order(model: dict, order_id: str, items: list[dict], tip: str | None = None) -> dict:
    [uk] = [o for o in example_orders(model) if o["orderId"] == "202-1234567-8901234"]
    order = copy.deepcopy(uk)
    order["orderId"] = order_id
    order["orderItems"] = items
    kinds: dict[str, Decimal] = {}
    for item in items:
        for b in item.get("proceeds", {}).get("breakdowns", []):
            kinds[b["type"]] = kinds.get(b["type"], Decimal("0")) + Decimal(b["subtotal"]["amount"])
    breakdowns = [{"type": k, "subtotal": _money(str(v), "GBP")} for k, v in kinds.items()]
    if tip:
        breakdowns.append({"type": "DELIVERY_TIP", "status": "PENDING", "subtotal": _money(tip, "GBP")})
    total = sum((Decimal(i["proceeds"]["proceedsTotal"]["amount"]) for i in items if "proceeds" in i), Decimal(tip or "0"))
    order["proceeds"] = {"grandTotal": _money(str(total), "GBP"), "breakdowns": breakdowns}
    return order


def _uk_item(model: dict, item_id: str, breakdowns: list[tuple], quantity: int = 1, unit: str = "20.00") -> dict:
    """An item of the UK example with `breakdowns` [(type, amount, [(subtype, amount), ...])]; TAX is added (GB's convention)."""
    [uk] = [o for o in example_orders(model) if o["orderId"] == "202-1234567-8901234"]
    item = copy.deepcopy(uk["orderItems"][0])
    item["orderItemId"] = item_id
    item["quantityOrdered"] = quantity
    item["product"]["price"]["unitPrice"] = _money(unit, "GBP")
    item["fulfillment"].update(quantityFulfilled=quantity, quantityUnfulfilled=0)
    out = []
    for kind, amount, details in breakdowns:
        entry = {"type": kind, "subtotal": _money(amount, "GBP")}
        if details:
            entry["detailedBreakdowns"] = [{"subtype": s, "value": _money(v, "GBP")} for s, v in details]
        out.append(entry)
    total = sum((Decimal(a) for _, a, _ in breakdowns), Decimal("0"))
    item["proceeds"] = {"proceedsTotal": _money(str(total), "GBP"), "breakdowns": out}
    return item


def test_every_breakdown_type_of_the_model_flows_into_its_column(model, warehouse):
    order = _uk_order(model, "202-0000001-0000001", [
        _uk_item(model, "item-wrapped", [
            ("ITEM", "40.00", []),                                                         # 2 x 20.00
            ("SHIPPING", "4.99", []),
            ("GIFT_WRAP", "3.99", []),                                                     # ItemProceedsBreakdown GIFT_WRAP
            ("DISCOUNT", "-6.99", [("ITEM", "-2.00"), ("SHIPPING", "-4.99")]),            # DISCOUNT detailed ITEM / SHIPPING
            ("TAX", "8.40", [("ITEM", "7.60"), ("GIFT_WRAP", "0.80")]),                   # TAX detailed GIFT_WRAP
        ], quantity=2),
        _uk_item(model, "item-cod", [
            ("ITEM", "20.00", []),
            ("COD_FEE", "3.30", []),                                                       # ItemProceedsBreakdown COD_FEE
            ("OTHER", "1.50", []),                                                         # ItemProceedsBreakdown OTHER
            ("TAX", "4.96", [("ITEM", "4.00"), ("COD_FEE", "0.66"), ("OTHER", "0.30")]),  # TAX detailed COD_FEE / OTHER
        ]),
        _uk_item(model, "item-promo-tax", [
            ("ITEM", "20.00", []),
            ("DISCOUNT", "-5.00", [("ITEM", "-5.00")]),
            ("TAX", "3.00", [("ITEM", "4.00"), ("DISCOUNT", "-1.00")]),                   # TAX detailed DISCOUNT
        ]),
    ], tip="2.50")
    _store(warehouse, [order])
    results = _build(warehouse, [order])

    assert _failed_checks(results) == [] and _rows(warehouse, "SELECT * FROM ops.quarantine") == []
    assert _rows(warehouse, "SELECT order_total, item_subtotal, shipping_total, gift_wrap_total, cod_fee_total, other_total, "
                            "discount_total, tax_total, delivery_tip, delivery_tip_status FROM core.orders") == [(
        Decimal("100.65"), Decimal("80.00"), Decimal("4.99"), Decimal("3.99"), Decimal("3.30"), Decimal("1.50"),
        Decimal("-11.99"), Decimal("16.36"), Decimal("2.50"), "PENDING")]
    lines = {r[0]: r[1:] for r in _rows(warehouse, (
        "SELECT order_item_id, item_amount, shipping, gift_wrap, cod_fee, other_charges, promotion_discount, shipping_discount, "
        "item_tax, shipping_tax, gift_wrap_tax, cod_fee_tax, other_tax, discount_tax, line_total FROM core.order_lines"))}
    d = Decimal
    assert lines["item-wrapped"] == (d("40.00"), d("4.99"), d("3.99"), None, None, d("-6.99"), d("-4.99"),
                                     d("8.40"), None, d("0.80"), None, None, None, d("50.39"))
    assert lines["item-cod"] == (d("20.00"), None, None, d("3.30"), d("1.50"), None, None,
                                 d("4.96"), None, None, d("0.66"), d("0.30"), None, d("29.76"))
    assert lines["item-promo-tax"] == (d("20.00"), None, None, None, None, d("-5.00"), None,
                                       d("3.00"), None, None, None, None, d("-1.00"), d("18.00"))


def test_an_item_cancelled_inside_an_order_that_stands_counts_nowhere_and_the_rest_of_its_order_does(model, warehouse):
    kept = _uk_item(model, "item-kept", [("ITEM", "20.00", []), ("TAX", "4.00", [("ITEM", "4.00")])])
    # As the model can say it: a cancellationExecution, no unit shipped, none left to ship. Amazon may still send the
    # item's proceeds (here it does, and grandTotal leaves them out) or send none; either way it counts 0.
    gone = _uk_item(model, "item-gone", [("ITEM", "40.00", []), ("TAX", "8.00", [("ITEM", "8.00")])], quantity=2)
    gone["fulfillment"].update(quantityFulfilled=0, quantityUnfulfilled=0)
    gone["cancellation"] = {"cancellationExecution": {"cancelledBy": "MERCHANT", "cancelReason": "NO_INVENTORY"}}
    order = _uk_order(model, "202-0000002-0000002", [kept])
    order["orderItems"].append(gone)
    bare = copy.deepcopy(order)
    bare["orderId"] = "202-0000003-0000003"
    del bare["orderItems"][1]["proceeds"]
    _store(warehouse, [order, bare])
    assert _failed_checks(_build(warehouse, [order])) == []

    assert _rows(warehouse, "SELECT order_id, order_total, item_subtotal, line_count FROM core.orders ORDER BY 1") == [
        ("202-0000002-0000002", Decimal("24.00"), Decimal("20.00"), 2), ("202-0000003-0000003", Decimal("24.00"), Decimal("20.00"), 2)]
    assert set(_rows(warehouse, "SELECT order_item_id, quantity_ordered, quantity_cancelled, cancelled, item_amount, item_tax, line_total "
                                "FROM core.order_lines")) == {
        ("item-kept", 1, 0, False, Decimal("20.00"), Decimal("4.00"), Decimal("24.00")),
        ("item-gone", 2, 2, True, Decimal("0"), Decimal("0"), Decimal("0"))}


def test_an_order_whose_parts_do_not_add_up_is_quarantined_with_both_figures_and_its_window_still_loads(model, warehouse):
    good = _uk_order(model, "202-0000004-0000004", [_uk_item(model, "g1", [("ITEM", "20.00", []), ("GIFT_WRAP", "2.00", [])])])
    # The case: gift wrap charged at order level, but the item does not carry it.
    unwrapped = _uk_order(model, "202-0000005-0000005", [_uk_item(model, "u1", [("ITEM", "20.00", [])])])
    unwrapped["proceeds"]["breakdowns"].append({"type": "GIFT_WRAP", "subtotal": _money("2.00", "GBP")})
    unwrapped["proceeds"]["grandTotal"] = _money("22.00", "GBP")
    # An item whose proceedsTotal is not the sum of its breakdowns.
    off = _uk_order(model, "202-0000006-0000006", [_uk_item(model, "o1", [("ITEM", "20.00", []), ("SHIPPING", "3.00", [])])])
    off["orderItems"][0]["proceeds"]["proceedsTotal"] = _money("23.50", "GBP")
    off["proceeds"]["grandTotal"] = _money("23.50", "GBP")
    _store(warehouse, [good, unwrapped, off])
    results = _build(warehouse, [good])

    assert all(r.success for r in results) and _failed_checks(results) == [
        f"core/orders nothing_quarantined: {e.metadata.get('sample')}" for r in results for e in r.get_asset_check_evaluations()
        if e.check_name == "nothing_quarantined"]
    assert _rows(warehouse, "SELECT order_id, order_total FROM core.orders") == [("202-0000004-0000004", Decimal("22.00"))]
    held = dict(_rows(warehouse, "SELECT record_key, reason FROM ops.quarantine WHERE source = 'core_orders'"))
    assert "proceeds.grandTotal 22.00 <> 20.00, the sum of its items' proceedsTotal" in held["202-0000005-0000005"]
    assert "proceeds GIFT_WRAP 2.00 <> 0.00, the sum of its items' GIFT_WRAP" in held["202-0000005-0000005"]
    assert "item o1: proceedsTotal 23.50 <> 23.00, the sum of its breakdowns" in held["202-0000006-0000006"]
