"""Rows that violate the model stay out of core with a reason; checks say so, and block Zoho when it matters.

Raw rows are written straight into a fresh warehouse (what Amazon might send, at its worst), then the
core assets run on their own.
"""

import json
from datetime import date
from decimal import Decimal

import dagster as dg
import duckdb
import pytest

from amazon_zoho.core import order_assets, settlement_assets
from amazon_zoho.core.order_assets import ORDER_CHECKS
from amazon_zoho.core.settlement_assets import SETTLEMENT_CHECKS
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho.warehouse.checks import evaluate
from amazon_zoho_tests.assets import asset

DAY = "2026-06-01"
DE = "A1PA6795UKMFR9"
core_orders, core_customers_products, core_settlements = (asset("core", name) for name in ("orders", "customers", "settlements"))


@pytest.fixture
def warehouse(tmp_path) -> WarehouseResource:
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"), archive_dir=str(tmp_path / "archive"))
    with resource.connect():
        pass  # creates the schema
    return resource


def _money(amount: str, currency: str = "EUR") -> dict:
    return {"amount": amount, "currencyCode": currency}


def _order(order_id: str, items: list[dict], grand_total: str | None = None, currency: str = "EUR") -> dict:
    total = grand_total or f"{sum(float(i['proceeds']['proceedsTotal']['amount']) for i in items):.2f}"
    return {
        "orderId": order_id, "createdTime": f"{DAY}T10:00:00Z", "lastUpdatedTime": f"{DAY}T12:00:00Z",
        "salesChannel": {"marketplaceId": DE, "marketplaceName": "Amazon.de"},
        "fulfillment": {"fulfillmentStatus": "SHIPPED", "fulfilledBy": "AMAZON"},
        "proceeds": {"grandTotal": _money(total, currency), "breakdowns": [{"type": "ITEM", "subtotal": _money(total, currency)}]},
        "orderItems": items,
    }


def _item(item_id: str | None, price: str, quantity: int = 1, currency: str = "EUR") -> dict:
    return {
        "orderItemId": item_id, "quantityOrdered": quantity,
        "product": {"asin": "B000TEST", "sellerSku": "SKU-T", "title": "Test", "price": {"unitPrice": _money(price, currency)}},
        "proceeds": {"proceedsTotal": _money(price, currency), "breakdowns": [{"type": "ITEM", "subtotal": _money(price, currency)}]},
        "fulfillment": {"quantityFulfilled": max(quantity, 0)},
    }


def _pending(order_id: str) -> dict:
    """Amazon sends a pending order without any price or proceeds."""
    order = _order(order_id, [_item("p1", "1.00")])
    order["fulfillment"]["fulfillmentStatus"] = "PENDING"
    del order["proceeds"]
    for item in order["orderItems"]:
        del item["proceeds"], item["product"]["price"]
    return order


def _store_orders(warehouse: WarehouseResource, orders: list[dict]) -> None:
    with warehouse.connect() as conn:
        for order in orders:
            payload = json.dumps(order)
            conn.execute(
                "INSERT INTO raw.order_versions BY NAME SELECT ? AS order_id, md5(?) AS payload_hash, ? AS marketplace_id, "
                "CAST(? AS DATE) AS purchase_date, CAST(? AS TIMESTAMPTZ) AS last_updated_time, CAST(? AS JSON) AS payload, "
                "'test' AS source, now() AS fetched_at",
                [order["orderId"], payload, DE, DAY, order["lastUpdatedTime"], payload],
            )


def _evaluations(result) -> dict:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def test_unknown_currency_negative_quantity_and_keyless_lines_are_quarantined_with_reasons(warehouse):
    _store_orders(warehouse, [
        _order("good-1", [_item("i1", "10.00"), _item("i2", "5.50", quantity=2)]),
        _order("usd-on-de", [_item("i1", "10.00", currency="USD")], currency="USD"),
        _order("negative", [_item("i1", "10.00", quantity=-1)]),
        _order("keyless", [_item(None, "10.00")]),
        _pending("pending-1"),
    ])
    result = dg.materialize([core_orders], partition_key=DAY, resources={"warehouse": warehouse})

    assert result.success, "bad rows are quarantined, not fatal"
    with duckdb.connect(warehouse.path, read_only=True) as conn:
        assert conn.execute("SELECT order_id, status, currency FROM core.orders ORDER BY 1").fetchall() == [
            ("good-1", "shipped", "EUR"), ("pending-1", "pending", "EUR")]
        assert conn.execute("SELECT count(*), count(currency) FROM core.order_lines").fetchone() == (3, 3), "a pending line takes its marketplace's currency"
        held = dict(conn.execute("SELECT record_key, reason FROM ops.quarantine WHERE source = 'core_orders'").fetchall())
    assert set(held) == {"usd-on-de", "negative", "keyless"}
    assert "unknown currency USD" in held["usd-on-de"] and "sells in EUR" in held["usd-on-de"]
    assert "negative quantity on item i1" in held["negative"]
    assert "without orderItemId" in held["keyless"]
    checks = _evaluations(result)
    reported = checks[("core/orders", "nothing_quarantined")]
    assert not reported.passed and reported.severity == dg.AssetCheckSeverity.WARN
    assert reported.metadata["failing_rows"].value == 3
    assert all(e.passed for key, e in checks.items() if key[1] != "nothing_quarantined")


def test_an_order_whose_total_is_not_its_parts_is_quarantined_with_both_figures_and_the_rest_lands(warehouse):
    _store_orders(warehouse, [_order("good-1", [_item("i1", "10.00")]), _order("off-by-a-cent", [_item("i1", "10.00")], grand_total="10.01")])
    result = dg.materialize([core_orders, core_customers_products], partition_key=DAY, resources={"warehouse": warehouse})

    assert result.success, "nothing else of the window is held back"
    with duckdb.connect(warehouse.path, read_only=True) as conn:
        assert conn.execute("SELECT order_id, order_total FROM core.orders").fetchall() == [("good-1", Decimal("10.00"))]
        held = dict(conn.execute("SELECT record_key, reason FROM ops.quarantine WHERE source = 'core_orders'").fetchall())
    assert set(held) == {"off-by-a-cent"}
    assert "grandTotal 10.01 <> 10.00" in held["off-by-a-cent"], held  # both figures: Amazon's total and the sum of its parts
    # The order's ITEM breakdown (10.01 in _order) disagrees with its item's too, and says so.
    assert "proceeds ITEM 10.01 <> 10.00" in held["off-by-a-cent"], held
    checks = _evaluations(result)
    assert all(e.passed for key, e in checks.items() if key[1] != "nothing_quarantined")


def test_the_blocking_total_checks_still_catch_what_reaches_core_wrong(warehouse):
    # The rejects keep such orders out; the checks are the guard behind them (a bug in a rule, a hand edit).
    _store_orders(warehouse, [_order("good-1", [_item("i1", "10.00"), _item("i2", "5.00")])])
    dg.materialize([core_orders], partition_key=DAY, resources={"warehouse": warehouse})
    with warehouse.connect() as conn:
        conn.execute("UPDATE core.order_lines SET line_total = 5.01 WHERE order_item_id = 'i2'")
        params = {"start": date(2026, 6, 1), "end": date(2026, 6, 2)}
        checks = {c.name: c for c in ORDER_CHECKS}
        orders = evaluate(conn, order_assets.__file__, checks["total_equals_lines"], params, dg.AssetKey(["core", "orders"]))
        lines = evaluate(conn, order_assets.__file__, checks["total_equals_parts"], params, dg.AssetKey(["core", "order_lines"]))
    assert not orders.passed and orders.metadata["failing_rows"].value == 1 and "good-1" in orders.metadata["sample"].value
    assert not lines.passed and "i2" in lines.metadata["sample"].value
    assert checks["total_equals_lines"].blocking and checks["total_equals_parts"].blocking


def _store_settlement(conn, report_id: str, settlement_id: str, total: str, lines: list[tuple],
                      dates: tuple[str, str, str] = ("2026-05-18 00:00:00 UTC", "2026-06-01 00:00:00 UTC", "2026-06-03 00:00:00 UTC")) -> None:
    """A DE report: its summary row (start, end and deposit date in `dates`) and detail rows, straight into raw."""
    conn.execute(
        "INSERT INTO raw.settlement_reports BY NAME SELECT ? AS report_id, ? AS settlement_id, ? AS marketplace_id, "
        "CAST(? AS DATE) AS end_date, ? AS archive_path, 'x' AS sha256, now() AS fetched_at",
        [report_id, settlement_id, DE, DAY, f"archive/{report_id}.tsv"],
    )
    rows = [(2, total, "EUR", "", "", "", "", "")] + [(n, "", "", *line) for n, line in enumerate(lines, start=3)]
    conn.executemany(
        'INSERT INTO raw.settlement_rows (report_id, line_number, "settlement-id", "total-amount", currency, "transaction-type", '
        '"order-id", "amount-type", "amount-description", amount, "settlement-start-date", "settlement-end-date", "deposit-date", '
        '"posted-date-time") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [(report_id, n, settlement_id, t, c, tt, oid, at, ad, amt, *(dates if t else ("", "", "")), "" if t else "2026-05-30 10:00:00 UTC")
         for n, t, c, tt, oid, at, ad, amt in rows],
    )


def test_quarantined_settlement_lines_make_the_deposit_check_warn_and_an_unexplained_gap_fail(warehouse):
    with warehouse.connect() as conn:
        _store_settlement(conn, "r-explained", "s-explained", "105,00", [
            ("Order", "o-1", "ItemPrice", "Principal", "120,00"),
            ("Order", "o-1", "ItemFees", "Commission", "-18,00"),
            ("other-transaction", "", "other-transaction", "Subscription Fee", "-2,0x"),  # not a number
            ("Order", "", "ItemPrice", "Principal", "5,00"),  # an order row without its order
        ])
        _store_settlement(conn, "r-gap", "s-gap", "50,00", [("Order", "o-2", "ItemPrice", "Principal", "40,00")])
    result = dg.materialize([core_settlements], partition_key=DAY, resources={"warehouse": warehouse})

    assert result.success, "settlement checks do not block: nothing downstream writes to Zoho"
    with duckdb.connect(warehouse.path, read_only=True) as conn:
        held = dict(conn.execute("SELECT line_number, reason FROM ops.quarantine WHERE record_key = 'r-explained'").fetchall())
        classes = dict(conn.execute("SELECT line_number, line_class FROM core.settlement_lines WHERE report_id = 'r-explained'").fetchall())
    assert "not a number" in held[5] and "line without order" in held[6]
    assert classes == {3: "principal", 4: "fee"}
    deposit = _evaluations(result)[("core/settlements", "lines_sum_to_deposit")]
    assert not deposit.passed and deposit.severity == dg.AssetCheckSeverity.ERROR, "one gap has no quarantined line to explain it"
    sample = deposit.metadata["sample"].value
    assert "s-gap" in sample and "s-explained" in sample and "line 5" in sample


def test_a_gap_explained_by_quarantined_lines_only_warns(warehouse):
    with warehouse.connect() as conn:
        _store_settlement(conn, "r-1", "s-1", "100,00", [("Order", "o-1", "ItemPrice", "Principal", "98,00"),
                                                          ("Order", "o-1", "ItemFees", "Commission", "2,0x")])
    result = dg.materialize([core_settlements], partition_key=DAY, resources={"warehouse": warehouse})
    deposit = _evaluations(result)[("core/settlements", "lines_sum_to_deposit")]
    assert not deposit.passed and deposit.severity == dg.AssetCheckSeverity.WARN


def test_the_not_null_checks_block_a_null_date_or_amount_that_reaches_core(warehouse):
    """Whatever path a NULL takes into core (a future SQL change, a hand edit), the blocking checks name the row."""
    checks = {(c.asset[-1], c.name): c for c in [*SETTLEMENT_CHECKS, *ORDER_CHECKS]}
    params = {"start": date(2026, 6, 1), "end": date(2026, 6, 2)}
    with warehouse.connect() as conn:
        conn.execute("INSERT INTO core.settlements BY NAME SELECT 's-null' AS settlement_id, 'r-null' AS report_id, "
                     "NULL::TIMESTAMPTZ AS period_start, now() AS period_end, now() AS deposit_date, 1.00 AS total_amount, "
                     "'EUR' AS currency, DATE '2026-06-01' AS end_date")
        conn.execute("INSERT INTO core.settlement_lines BY NAME SELECT 's-null' AS settlement_id, 'r-null' AS report_id, 3 AS line_number, "
                     "1.00 AS amount, NULL::TIMESTAMPTZ AS posted_ts, 'EUR' AS currency, DATE '2026-06-01' AS end_date")
        conn.execute("INSERT INTO core.orders BY NAME SELECT 'o-null' AS order_id, 'A1PA6795UKMFR9' AS marketplace_id, DATE '2026-06-01' AS purchase_date, "
                     "now() AS purchase_ts, 'EUR' AS currency, 'shipped' AS status, 1 AS line_count, NULL::DECIMAL(18, 2) AS order_total")
        failed = {
            name: evaluate(conn, module.__file__, checks[name], params, checks[name].key)
            for name, module in [(("settlements", "dates_and_deposit_set"), settlement_assets),
                                 (("settlement_lines", "amount_and_posted_set"), settlement_assets),
                                 (("orders", "money_set"), order_assets)]
        }
    assert all(not result.passed for result in failed.values()), {k: r.metadata for k, r in failed.items()}
    assert all(checks[name].blocking for name in failed)


def test_a_later_version_without_the_buyer_keeps_the_order_s_buyer(warehouse):
    """Amazon shows a merchant-fulfilled buyer only while the order is unshipped or shipped (API-FACTS "PII without an
    RDT"); the delivered version arrives without one. The order keeps its buyer in core, so Zoho's sales order keeps
    pointing at that contact instead of moving to the shared one."""
    shipped = {**_order("mfn-1", [_item("i1", "10.00")]), "buyerKey": "bk-123"}
    shipped["fulfillment"] = {"fulfillmentStatus": "SHIPPED", "fulfilledBy": "MERCHANT"}
    delivered = {**shipped, "lastUpdatedTime": f"{DAY}T20:00:00Z"}
    del delivered["buyerKey"]
    _store_orders(warehouse, [shipped, delivered])

    assert dg.materialize([core_orders], partition_key=DAY, resources={"warehouse": warehouse}).success
    with duckdb.connect(warehouse.path, read_only=True) as conn:
        assert conn.execute("SELECT buyer_key, last_update_ts FROM core.orders").fetchall()[0][0] == "bk-123"
