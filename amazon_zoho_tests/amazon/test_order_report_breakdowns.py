"""The all-orders flat file's money columns flow into core like the Orders API's breakdowns: gift wrap, item and
shipping promotions, each tax, items cancelled inside an order that stands, and both tax conventions.

The fixture (fixtures/all_orders_gift_wrap_promotions.tsv) says on its first line where its shape comes from.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from amazon_zoho.amazon.order_reports import _load_document
from amazon_zoho.amazon.reports import ORDERS_BY_DATE, ReportOutcome, ReportSpec
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho_tests.assets import asset

FIXTURE = Path(__file__).with_name("fixtures") / "all_orders_gift_wrap_promotions.tsv"
DE, US = "A1PA6795UKMFR9", "ATVPDKIKX0DER"
core_orders = asset("core", "orders")
d = Decimal


@pytest.fixture
def warehouse(tmp_path) -> WarehouseResource:
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"), archive_dir=str(tmp_path / "archive"))
    text = FIXTURE.read_text(encoding="cp1252")
    assert text.startswith("# Shape: "), "the fixture's first line says where its shape comes from"
    spec = ReportSpec(ORDERS_BY_DATE, datetime(2026, 5, 1, tzinfo=timezone.utc), datetime(2026, 5, 8, tzinfo=timezone.utc), (DE, US))
    with resource.connect() as conn:
        loaded, quarantined, _, _ = _load_document(conn, text.split("\n", 1)[1], ReportOutcome(spec, "R-fixture", "DONE", "D1", False, 1), "run")
    assert (loaded, quarantined) == (3, 0)
    return resource


def _rows(warehouse: WarehouseResource, query: str) -> list[tuple]:
    with duckdb.connect(warehouse.path, read_only=True) as conn:
        return conn.execute(query).fetchall()


def test_report_orders_carry_every_money_column_as_its_breakdown(warehouse):
    [(payload,)] = _rows(warehouse, "SELECT payload FROM raw.order_versions WHERE order_id = '302-4100001-0000001'")
    order = json.loads(payload)
    wrapped = order["orderItems"][0]["proceeds"]
    assert wrapped["proceedsTotal"]["amount"] == "30.98"  # 29.99 + 4.99 + 3.99 - 3.00 - 4.99: VAT is inside in DE
    assert {b["type"]: b["subtotal"]["amount"] for b in wrapped["breakdowns"]} == {
        "ITEM": "29.99", "SHIPPING": "4.99", "GIFT_WRAP": "3.99", "DISCOUNT": "-7.99", "TAX": "6.23"}
    details = {(b["type"], x["subtype"]): x["value"]["amount"] for b in wrapped["breakdowns"] for x in b.get("detailedBreakdowns") or []}
    assert details == {("DISCOUNT", "ITEM"): "-3.00", ("DISCOUNT", "SHIPPING"): "-4.99",
                       ("TAX", "ITEM"): "4.79", ("TAX", "SHIPPING"): "0.80", ("TAX", "GIFT_WRAP"): "0.64"}
    assert order["proceeds"]["grandTotal"]["amount"] == "70.96"


def test_the_fixture_loads_into_core_with_every_check_green(warehouse):
    result = dg.materialize([core_orders], partition_key="2026-05-04", resources={"warehouse": warehouse})
    assert [e.check_name for e in result.get_asset_check_evaluations() if not e.passed] == []
    assert _rows(warehouse, "SELECT * FROM ops.quarantine") == []

    orders = {r[0]: r[1:] for r in _rows(warehouse, (
        "SELECT order_id, currency, order_total, item_subtotal, shipping_total, gift_wrap_total, discount_total, tax_total, "
        "prices_include_tax FROM core.orders"))}
    assert orders == {
        "302-4100001-0000001": ("EUR", d("70.96"), d("69.97"), d("4.99"), d("3.99"), d("-7.99"), d("12.61"), True),
        # The cancelled item's 15.00 is in neither the total nor the breakdowns.
        "302-4100002-0000002": ("EUR", d("19.99"), d("19.99"), None, None, None, d("3.19"), True),
        # US: 25.00 + 5.00 + 4.00 - 2.50, plus 2.06 + 0.41 + 0.33 of sales tax.
        "111-4100003-0000003": ("USD", d("34.30"), d("25.00"), d("5.00"), d("4.00"), d("-2.50"), d("2.80"), False),
    }
    lines = {r[0]: r[1:] for r in _rows(warehouse, (
        "SELECT order_item_id, quantity_ordered, quantity_cancelled, cancelled, item_amount, gift_wrap, gift_wrap_tax, "
        "shipping_discount, promotion_discount, line_total FROM core.order_lines"))}
    assert lines["41000010000011"] == (1, 0, False, d("29.99"), d("3.99"), d("0.64"), d("-4.99"), d("-7.99"), d("30.98"))
    assert lines["41000020000022"] == (1, 1, True, d("0"), d("0"), d("0"), d("0"), d("0"), d("0"))
    assert lines["41000020000021"][:3] == (1, 0, False)
