"""One bad order does not hold back its days: it is quarantined with its reason, the rest of the window enters
core with every blocking check passing, and its next good version replaces it (and clears its quarantine row).
Also: an amount finer than cents is quarantined, never rounded (issue #14, items 8 and 11)."""

import copy
from decimal import Decimal

import dagster as dg
import duckdb
import pytest

from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho_tests.core.test_bad_rows_and_checks import _evaluations, _item, _order, _store_orders, core_orders

DAY = "2026-06-01"


@pytest.fixture
def warehouse(tmp_path) -> WarehouseResource:
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"), archive_dir=str(tmp_path / "archive"))
    with resource.connect():
        pass  # creates the schema
    return resource


def _null_proceeds(order: dict, items_too: bool) -> dict:
    """What the sandbox's fault_null_proceeds_rate sends (sandbox/amazon/poison.py): "proceeds": null."""
    poisoned = copy.deepcopy(order)
    poisoned["proceeds"] = None
    if items_too:
        for item in poisoned["orderItems"]:
            item["proceeds"] = None
    return poisoned


def _state(warehouse):
    with duckdb.connect(warehouse.path, read_only=True) as conn:
        orders = dict(conn.execute("SELECT order_id, order_total FROM core.orders").fetchall())
        held = dict(conn.execute("SELECT record_key, reason FROM ops.quarantine WHERE source = 'core_orders'").fetchall())
    return orders, held


def _blocking_checks_pass(result) -> bool:
    return all(e.passed for (_, name), e in _evaluations(result).items() if name != "nothing_quarantined")


def test_a_priced_order_without_proceeds_is_quarantined_alone_until_a_good_version_arrives(warehouse):
    good = _order("good-1", [_item("i1", "10.00")])
    whole = _order("poison", [_item("i1", "12.00")])
    _store_orders(warehouse, [good, _null_proceeds(whole, items_too=True), _null_proceeds(_order("poison-2", [_item("i1", "3.00")]), False)])
    result = dg.materialize([core_orders], partition_key=DAY, resources={"warehouse": warehouse})

    assert result.success and _blocking_checks_pass(result), "the rest of the window passes"
    orders, held = _state(warehouse)
    assert orders == {"good-1": Decimal("10.00")}
    assert "status SHIPPED but no proceeds" in held["poison"], held
    assert "no proceeds.grandTotal, but 1 item(s) have a proceedsTotal" in held["poison-2"], held

    later = {**whole, "lastUpdatedTime": f"{DAY}T18:00:00Z"}  # Amazon sends the order again, whole
    _store_orders(warehouse, [later])
    result = dg.materialize([core_orders], partition_key=DAY, resources={"warehouse": warehouse})

    assert result.success and _blocking_checks_pass(result)
    orders, held = _state(warehouse)
    assert orders == {"good-1": Decimal("10.00"), "poison": Decimal("12.00")}
    assert set(held) == {"poison-2"}, "the good version's quarantine row is gone"


def test_an_amount_with_a_third_decimal_is_quarantined_not_rounded(warehouse):
    fine = _order("fine", [_item("i1", "12.340")])  # a zero third decimal loses nothing
    _store_orders(warehouse, [_order("sub-cent", [_item("i1", "12.345")]), fine])
    result = dg.materialize([core_orders], partition_key=DAY, resources={"warehouse": warehouse})

    assert result.success and _blocking_checks_pass(result)
    orders, held = _state(warehouse)
    assert orders == {"fine": Decimal("12.34")}
    assert "has more decimals than cents: 12.345" in held["sub-cent"], held
