"""#14 item 12: an order of a marketplace we have no row for is held back as "not configured", whatever its
currency, instead of "unknown currency" (or, in a currency some other marketplace uses, entering core)."""

import json

import dagster as dg
import duckdb
import pytest

from amazon_zoho.amazon import marketplaces
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho_tests.assets import asset

DAY = "2026-06-01"
# Not in amazon/marketplaces.csv: an id shaped like Amazon's, for a marketplace the project does not know.
UNKNOWN = "A0UNCONFIGURED1"
DE = "A1PA6795UKMFR9"


@pytest.fixture
def warehouse(tmp_path) -> WarehouseResource:
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"), archive_dir=str(tmp_path / "archive"))
    with resource.connect():
        pass
    return resource


def _order(order_id: str, marketplace_id: str, currency: str) -> dict:
    # The Orders API v2026-01-01 order shape (/work/shared/reference/amazon), trimmed to what core reads.
    money = {"amount": "10.00", "currencyCode": currency}
    return {
        "orderId": order_id, "createdTime": f"{DAY}T10:00:00Z", "lastUpdatedTime": f"{DAY}T12:00:00Z",
        "salesChannel": {"marketplaceId": marketplace_id, "marketplaceName": "Amazon.test"},
        "fulfillment": {"fulfillmentStatus": "SHIPPED", "fulfilledBy": "AMAZON"},
        "proceeds": {"grandTotal": money, "breakdowns": [{"type": "ITEM", "subtotal": money}]},
        "orderItems": [{
            "orderItemId": "i1", "quantityOrdered": 1,
            "product": {"asin": "B000TEST", "sellerSku": "SKU-T", "title": "Test", "price": {"unitPrice": money}},
            "proceeds": {"proceedsTotal": money, "breakdowns": [{"type": "ITEM", "subtotal": money}]},
            "fulfillment": {"quantityFulfilled": 1},
        }],
    }


def test_an_order_of_an_unconfigured_marketplace_is_held_back_as_such(warehouse):
    assert UNKNOWN not in marketplaces.BY_ID
    orders = [(_order("de-1", DE, "EUR"), DE), (_order("odd-eur", UNKNOWN, "EUR"), UNKNOWN), (_order("odd-brl", UNKNOWN, "BRL"), UNKNOWN)]
    with warehouse.connect() as conn:
        for order, marketplace_id in orders:
            payload = json.dumps(order)
            conn.execute(
                "INSERT INTO raw.order_versions BY NAME SELECT ? AS order_id, md5(?) AS payload_hash, ? AS marketplace_id, "
                "CAST(? AS DATE) AS purchase_date, CAST(? AS TIMESTAMPTZ) AS last_updated_time, CAST(? AS JSON) AS payload, "
                "'test' AS source, now() AS fetched_at",
                [order["orderId"], payload, marketplace_id, DAY, order["lastUpdatedTime"], payload],
            )
    assert dg.materialize([asset("core", "orders")], partition_key=DAY, resources={"warehouse": warehouse}).success
    with duckdb.connect(warehouse.path, read_only=True) as conn:
        assert [r for (r,) in conn.execute("SELECT order_id FROM core.orders").fetchall()] == ["de-1"]
        assert conn.execute("SELECT count(*) FROM core.order_lines WHERE order_id LIKE 'odd-%'").fetchone()[0] == 0
        held = dict(conn.execute("SELECT record_key, reason FROM ops.quarantine WHERE source = 'core_orders'").fetchall())
    assert set(held) == {"odd-eur", "odd-brl"}
    for reason in held.values():
        assert f"marketplace {UNKNOWN} is not configured" in reason and "unknown currency" not in reason
