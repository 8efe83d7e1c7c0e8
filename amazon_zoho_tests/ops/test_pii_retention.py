"""Buyer PII is deleted AMAZON_ZOHO_PII_RETENTION_DAYS after delivery, and kept while an order still ships."""

from datetime import timedelta

import dagster as dg
import duckdb
import pytest

from amazon_zoho import clock
from amazon_zoho.resources import warehouse_resource
from amazon_zoho.settings import Settings
from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho.zoho.resource import ZohoCrmResource
from amazon_zoho_tests.assets import asset, figure

# No contact was ever pushed here, so the Zoho side of the retention has nothing to clear and makes no call.
UNUSED_ZOHO = ZohoCrmResource(client_id="unused", client_secret="unused", refresh_token="unused")

# (order_id, status, purchased, shipped, latest delivery, last update) relative to now, in days; None = not set.
ORDERS = [
    ("delivered-long-ago", "shipped", -60, -58, -55, -58),     # delivered 55 days ago: gone
    ("delivered-recently", "shipped", -20, -18, -15, -18),     # 15 days after delivery: kept
    ("delivered-29-days", "shipped", -35, -33, -29, -33),      # 29 < 30: kept
    ("no-window-shipped", "shipped", -45, -40, None, -40),     # no delivery window: ship time counts, 40 days: gone
    ("cancelled-long-ago", "cancelled", -50, None, None, -49),  # cancelled 49 days ago: gone
    ("still-unshipped", "unshipped", -90, None, None, -90),    # the address is still needed to ship it: kept
]


@pytest.fixture
def warehouse(tmp_path) -> WarehouseResource:
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    at = lambda days: None if days is None else clock.now() + timedelta(days=days)  # noqa: E731
    with resource.connect() as conn:
        for order_id, status, purchased, shipped, delivered, updated in ORDERS:
            conn.execute(
                "INSERT INTO core.orders BY NAME SELECT ? AS order_id, 'A1PA6795UKMFR9' AS marketplace_id, CAST(? AS DATE) AS purchase_date, "
                "? AS purchase_ts, ? AS status, ? AS shipped_ts, ? AS latest_delivery_ts, ? AS last_update_ts, 1 AS line_count",
                [order_id, at(purchased), at(purchased), status, at(shipped), at(delivered), at(updated)],
            )
        rows = [(o[0], f"Name {o[0]}", f"{o[0]}@marketplace.amazon.de", "1 Street", at(o[2]).date()) for o in ORDERS]
        rows.append(("quarantined-order", "Someone", "x@marketplace.amazon.de", "2 Street", (clock.now() - timedelta(days=70)).date()))
        conn.executemany(
            "INSERT INTO pii.order_contacts (order_id, buyer_name, buyer_email, address_line1, purchase_date, fetched_at) VALUES (?, ?, ?, ?, ?, now())",
            rows,
        )
    return resource


def _contacts(warehouse) -> set[str]:
    with duckdb.connect(warehouse.path, read_only=True) as conn:
        return {r[0] for r in conn.execute("SELECT order_id FROM pii.order_contacts").fetchall()}


PII_RETENTION = asset("ops", "pii_retention")


def _purge(warehouse) -> dg.ExecuteInProcessResult:
    day = (clock.now() - timedelta(days=1)).date().isoformat()
    result = dg.materialize([PII_RETENTION], partition_key=day, resources={"warehouse": warehouse, "zoho": UNUSED_ZOHO})
    assert result.success
    return result


def test_default_retention_is_30_days_after_delivery(warehouse):
    assert Settings.from_env({}).pii_retention_days == warehouse.pii_retention_days == 30
    result = _purge(warehouse)
    assert _contacts(warehouse) == {"delivered-recently", "delivered-29-days", "still-unshipped"}
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["retention_days"].value == 30 and figure(metadata, "deleted_orders") == 4
    assert metadata["awaiting_delivery"].value == 1
    _purge(warehouse)
    assert len(_contacts(warehouse)) == 3, "running again deletes nothing more"


def test_a_shorter_retention_is_configurable(warehouse):
    settings = Settings.from_env({"AMAZON_ZOHO_PII_RETENTION_DAYS": "10", "AMAZON_ZOHO_WAREHOUSE": warehouse.path})
    _purge(warehouse_resource(settings))
    assert _contacts(warehouse) == {"still-unshipped"}


def test_a_wrong_setting_names_the_variable():
    with pytest.raises(ValueError, match="AMAZON_ZOHO_PII_RETENTION_DAYS='thirty'"):
        Settings.from_env({"AMAZON_ZOHO_PII_RETENTION_DAYS": "thirty"})
    with pytest.raises(ValueError, match="ACME_EU__AMAZON_ZOHO_PII_RETENTION_DAYS='-1'"):
        Settings.from_env({"ACME_EU__AMAZON_ZOHO_PII_RETENTION_DAYS": "-1"}, prefix="ACME_EU__")
