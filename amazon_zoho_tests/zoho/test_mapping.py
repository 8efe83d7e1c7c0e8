"""mapping.yaml: checked at load with every problem listed, and honoured by the payload SQL (field names,
the policy for buyers without an email, the status table, currencies), on a small hand-made warehouse."""

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from amazon_zoho.warehouse import WarehouseResource
from amazon_zoho.zoho.mapping import DEFAULT_PATH, MappingError, load
from amazon_zoho.zoho.sync import prepare

DAY = date(2026, 3, 2)
DE, UK = "A1PA6795UKMFR9", "A1F83G8C2ARO7P"


def _variant(tmp_path: Path, change) -> Path:
    doc = yaml.safe_load(DEFAULT_PATH.read_text())
    change(doc)
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_the_shipped_mapping_loads():
    mapping = load(DEFAULT_PATH)
    assert mapping["Sales_Orders"].key == "Amazon_Order_ID" and mapping.status["PENDING"] is None
    assert mapping.buyers_without_email == "shared_per_marketplace"
    assert {cf.api_name for cf in mapping.custom_fields["Contacts"]} >= {"Amazon_Buyer_Key", "Amazon_First_Order", "Amazon_Last_Order"}


def test_every_problem_is_reported_at_once_with_where_to_fix_it(tmp_path):
    def break_it(doc):
        doc["Products"]["fields"]["Unit_Price"] = "price"
        doc["Products"]["fields"]["Bad Name"] = "sku"
        doc["Contacts"]["key"] = "Email"
        del doc["Sales_Orders"]["status"]["SHIPPED"]
        doc["Sales_Orders"]["status"]["LOST"] = "Cancelled"
        doc["custom_fields"]["Products"]["Amazon_SKU"]["label"] = "Amazon Sku Code"
        doc["currencies"] = ["euro"]
        doc["Contacts"]["existing_records"] = "merge"

    with pytest.raises(MappingError) as caught:
        load(_variant(tmp_path, break_it))
    message = str(caught.value)
    for expected in (
        "Products.fields.Unit_Price: unknown source 'price'",
        "Products.fields.Bad Name: not a Zoho API name",
        "Contacts.key: Email needs buyers_without_email: skip",
        "Sales_Orders.status: no entry for SHIPPED",
        "Sales_Orders.status.LOST: not an Amazon order status",
        "custom_fields.Products.Amazon_SKU: Zoho names the field 'Amazon_Sku_Code'",
        "currencies:",
        "Contacts.existing_records: 'merge' is not one of adopt, dead_letter",
    ):
        assert expected in message
    assert message.count("\n  - ") == 8


def test_a_typo_in_yaml_names_the_file(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("Products: [unclosed\n")
    with pytest.raises(MappingError, match="not valid YAML"):
        load(path)


@pytest.fixture
def warehouse(tmp_path):
    """Orders of one day: a merchant-fulfilled buyer with an email, an FBA buyer with a name, an FBA order
    without any buyer details, a PENDING order, an order in a currency Zoho lacks, a line without SKU."""
    resource = WarehouseResource(database=str(tmp_path / "w.duckdb"))
    with resource.connect() as conn:
        orders = [
            ("O1", DE, "Amazon.de", "MFN", "UNSHIPPED", "EUR", "b1"),
            ("O2", DE, "Amazon.de", "AFN", "SHIPPED", "EUR", None),
            ("O3", UK, "Amazon.co.uk", "AFN", "PARTIALLY_SHIPPED", "GBP", None),
            ("O4", DE, "Amazon.de", "AFN", "PENDING", "EUR", None),
            ("O5", DE, "Amazon.de", "MFN", "SHIPPED", "CHF", "b1"),
            ("O6", DE, "Amazon.de", "MFN", "SHIPPED", "EUR", "b1"),
        ]
        for oid, mp, channel, fc, status, cur, buyer in orders:
            # Two units at 9.99 with 1.60 VAT inside (DE, UK: prices include tax); a PENDING order has no prices yet.
            total, vat = (None, None) if status == "PENDING" else (19.98, 3.19)
            conn.execute(
                "INSERT INTO core.orders (order_id, marketplace_id, sales_channel, purchase_date, purchase_ts, fulfillment_channel, order_status, currency,"
                " buyer_key, line_count, order_total, item_subtotal, tax_total, prices_include_tax)"
                " VALUES (?, ?, ?, ?, ?::TIMESTAMPTZ, ?, ?, ?, ?, 1, ?, ?, ?, true)",
                [oid, mp, channel, DAY, f"{DAY} 23:10:00+00", fc, status, cur, buyer, total, total, vat])
            sku = None if oid == "O6" else ("S2" if mp == UK else "S1")
            conn.execute(
                "INSERT INTO core.order_lines (order_id, order_item_id, purchase_date, marketplace_id, sku, quantity_ordered, unit_price, item_amount,"
                " item_tax, line_total) VALUES (?, ?, ?, ?, ?, 2, 9.99, ?, ?, ?)", [oid, oid + "-1", DAY, mp, sku, total, vat, total])
        conn.execute("INSERT INTO core.products (sku, marketplace_id, asin, title, currency, latest_price)"
                     " VALUES ('S1', ?, 'B001', 'Mug', 'EUR', 9.99), ('S2', ?, 'B002', 'Tea', 'GBP', 4.5)", [DE, UK])
        conn.execute("INSERT INTO pii.order_contacts (order_id, buyer_key, buyer_name, buyer_email, address_line1, city, postal_code, country_code, fetched_at)"
                     " VALUES"
                     " ('O1', 'b1', 'Max Mustermann', 'x@marketplace.amazon.de', 'Hauptstr. 1', 'Berlin', '10115', 'DE', now()),"
                     " ('O2', NULL, 'Anna Schmidt', NULL, 'Ring 2', 'Köln', '50667', 'DE', now())")
        conn.execute("INSERT INTO ops.zoho_sync_state (module, record_key, zoho_id, status, synced_at) VALUES"
                     " ('Products', 'S1', '900001', 'synced', now()), ('Products', 'S2', '900002', 'synced', now()),"
                     " ('Contacts', 'b1', '800001', 'synced', now()), ('Contacts', 'amazon-customer-' || ?, '800002', 'synced', now()),"
                     " ('Contacts', 'amazon-customer-' || ?, '800003', 'synced', now())", [DE, UK])
    return resource


def _pending(warehouse, mapping, module) -> dict[str, tuple[dict, str | None]]:
    with warehouse.connect() as conn:
        prepare(conn, mapping, module, DAY, date(2026, 3, 3))
        return {k: (json.loads(p), e) for k, p, e in conn.execute("SELECT record_key, payload, mapping_error FROM pending").fetchall()}


def test_default_mapping_builds_payloads_and_reasons(warehouse):
    mapping = load(DEFAULT_PATH)
    contacts = _pending(warehouse, mapping, "Contacts")
    assert set(contacts) == {"b1", f"amazon-customer-{DE}", f"amazon-customer-{UK}"}
    max_, _ = contacts["b1"]
    assert (max_["First_Name"], max_["Last_Name"], max_["Mailing_City"], max_["Amazon_First_Order"]) == ("Max", "Mustermann", "Berlin", str(DAY))
    assert contacts[f"amazon-customer-{DE}"][0]["Last_Name"] == "Amazon Customer (Amazon.de)"

    orders = _pending(warehouse, mapping, "Sales_Orders")
    assert "O4" not in orders, "PENDING maps to skip"
    o1, o3 = orders["O1"][0], orders["O3"][0]
    assert (o1["Status"], o1["Contact_Name"], o1["Fulfillment_Channel"], o1["Billing_City"], o1["Shipping_City"]) == (
        "Created", {"id": "800001"}, "FBM", "Berlin", "Berlin")
    # The VAT-inclusive price, no Tax on top (Zoho would add it a second time), and the order's own amounts.
    assert o1["Ordered_Items"] == [{"Product_Name": {"id": "900001"}, "Quantity": 2, "List_Price": 9.99, "Discount": 0}]
    assert (o1["Adjustment"], o1["Amazon_Order_Total"], o1["Amazon_Tax_Total"], o1["Amazon_Tax_Included"]) == (0, 19.98, 3.19, True)
    assert "Tax" not in o1 and "Discount" not in o1 and "Grand_Total" not in o1
    # 23:10 UTC on 2 March is already 3 March in Berlin (Amazon.de keeps Paris time) but still 2 March in London.
    assert (o1["Amazon_Purchase_Date"], o1["Amazon_Purchase_Local_Date"]) == ("2026-03-02T23:10:00+00:00", "2026-03-03")
    assert orders["O3"][0]["Amazon_Purchase_Local_Date"] == "2026-03-02"
    assert (o3["Status"], o3["Contact_Name"]) == ("Approved", {"id": "800003"})
    assert "currency CHF is not enabled in Zoho" in orders["O5"][1]
    assert orders["O6"][1] == "order lines without a SKU: O6-1"
    assert orders["O1"][1] is None and orders["O2"][1] is None


def test_buyers_without_email_follow_the_policy(warehouse, tmp_path):
    skip = load(_variant(tmp_path, lambda d: d["Contacts"].update(buyers_without_email="skip")))
    assert set(_pending(warehouse, skip, "Contacts")) == {"b1"}
    orders = _pending(warehouse, skip, "Sales_Orders")
    assert orders["O2"] == ({**orders["O2"][0], "Contact_Name": None}, None), "no contact, and nothing to wait for"

    per_buyer = load(_variant(tmp_path, lambda d: d["Contacts"].update(buyers_without_email="per_buyer")))
    contacts = _pending(warehouse, per_buyer, "Contacts")
    [fba] = [k for k in contacts if k.startswith("fba-")]
    assert contacts[fba][0]["Last_Name"] == "Schmidt" and contacts[fba][0]["Email"] is None
    assert f"amazon-customer-{UK}" in contacts, "an order without any buyer details falls back to the shared contact"
    orders = _pending(warehouse, per_buyer, "Sales_Orders")
    assert orders["O2"][1] == f"waiting for contact {fba} (not yet in Zoho)"


def test_renamed_fields_and_status_values_reach_the_payload(warehouse, tmp_path):
    def rename(doc):
        fields = doc["Products"]["fields"]
        fields["ASIN_Code"] = fields.pop("Amazon_ASIN")
        del fields["Currency"]
        doc["Sales_Orders"]["status"]["UNSHIPPED"] = "Approved"

    mapping = load(_variant(tmp_path, rename))
    s1 = _pending(warehouse, mapping, "Products")["S1"][0]
    assert s1["ASIN_Code"] == "B001" and "Amazon_ASIN" not in s1 and "Currency" not in s1
    assert _pending(warehouse, mapping, "Sales_Orders")["O1"][0]["Status"] == "Approved"


def test_the_money_fields_cannot_be_remapped_or_taxed_twice(tmp_path):
    def break_it(doc):
        orders = doc["Sales_Orders"]
        del orders["fields"]["Adjustment"]
        orders["fields"]["Tax"] = "tax_total"
        orders["line_items"]["fields"]["List_Price"] = "unit_price"
        orders["line_items"]["fields"]["Tax"] = "tax"

    with pytest.raises(MappingError) as caught:
        load(_variant(tmp_path, break_it))
    message = str(caught.value)
    assert "has 4 problem(s)" in message
    for expected in (
        "Sales_Orders.fields.Adjustment: must be mapped to adjustment: Zoho computes Grand_Total from it",
        "Sales_Orders.fields.Tax: cannot be written: Zoho adds it to Grand_Total on top of prices that include tax",
        "Sales_Orders.line_items.fields.List_Price: must be mapped to list_price",
        "Sales_Orders.line_items.fields.Tax: cannot be written: Zoho adds it on top of List_Price, which includes tax already",
    ):
        assert expected in message


def test_missing_and_unknown_settings_are_named(tmp_path):
    def break_it(doc):
        del doc["Products"]["key"]
        doc["Products"]["colour"] = "red"
        del doc["Sales_Orders"]["line_items"]
        doc["custom_fields"]["Contacts"]["Amazon_Buyer_Key"]["length"] = 300

    path = _variant(tmp_path, break_it)
    with pytest.raises(MappingError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path} has 4 problem(s):")
    for expected in (
        "Products: no entry for key (the match key: Amazon_SKU)",
        "Products.colour: unknown setting; expected key, fields, existing_records",
        "Sales_Orders: no entry for line_items",
        "custom_fields.Contacts.Amazon_Buyer_Key.length: 300 must be a whole number from 1 to 255",
    ):
        assert expected in message


def test_a_file_that_is_not_a_mapping_says_so(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("- Products\n- Contacts\n")
    with pytest.raises(MappingError, match=r"has 1 problem\(s\):\n  - the file: must be a mapping with Products, Contacts, Sales_Orders"):
        load(path)
