"""The field catalog's lookups by name follow what changes it: a field saved after the catalog was read, and the
text-length knob (the org invalidates the catalog on a config change)."""

from __future__ import annotations

from amazon_zoho.sandbox.app import SandboxApp
from amazon_zoho.sandbox.store import Store
from amazon_zoho.sandbox.zoho.catalog import Catalog
from amazon_zoho.sandbox.zoho.org import org_of


def test_a_field_saved_after_a_read_is_found_by_name():
    catalog = Catalog(Store(None))
    assert catalog.field("Sales_Orders", "Amazon_Order_ID") is None
    field = dict(catalog.field("Sales_Orders", "Subject"), api_name="Amazon_Order_ID", field_label="Amazon Order ID", custom=True, unique=True)
    catalog.save("Sales_Orders", field)
    assert catalog.field("Sales_Orders", "Amazon_Order_ID") == field
    assert catalog.fields("Sales_Orders")[-1] is catalog.field("Sales_Orders", "Amazon_Order_ID")


def test_a_field_found_by_name_follows_the_text_length_knob():
    app = SandboxApp()
    org = org_of(app)
    assert org.catalog.field("Sales_Orders", "Subject")["length"] == 120
    app.set_config({"zoho_text_field_length": 50}, persist=False)
    subject = org.catalog.field("Sales_Orders", "Subject")
    assert subject["length"] == 50 and subject in org.catalog.fields("Sales_Orders")
