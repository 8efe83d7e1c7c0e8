"""Buyer and recipient details leave the order before it is stored; a salted key stands in for the buyer."""

import json
from pathlib import Path

import pytest

from amazon_zoho.amazon.pii_split import NON_IDENTIFYING_ADDRESS, buyer_key, split
from amazon_zoho.resources import warehouse_resource
from amazon_zoho.settings import DEFAULT_PII_SALT, Settings

ORDER = {
    "orderId": "123-4567890-1234567",
    "createdTime": "2024-12-25T10:30:00Z",
    "buyer": {"buyerName": "John Smith", "buyerEmail": "buyer-email@marketplace.amazon.com",
              "buyerCompanyName": "Smith Industries LLC", "buyerPurchaseOrderNumber": "PO-2024-12345"},
    "recipient": {
        "deliveryAddress": {"name": "John Smith", "companyName": "Smith Industries LLC", "addressLine1": "123 Main Street",
                            "addressLine2": "Suite 456", "city": "Seattle", "districtOrCounty": "King County",
                            "stateOrRegion": "WA", "postalCode": "98101", "countryCode": "US", "phone": "555-123-4567"},
        "deliveryPreference": {"addressInstruction": "Enter through main lobby, ask for John Smith at reception"},
    },
    "proceeds": {"grandTotal": {"amount": "154.99", "currencyCode": "USD"}},
}


def test_split_keeps_only_non_identifying_location(monkeypatch):
    monkeypatch.delenv("AMAZON_ZOHO_PII_SALT", raising=False)
    clean, pii = split(ORDER)

    assert "buyer" not in clean
    assert clean["recipient"] == {"deliveryAddress": {"city": "Seattle", "stateOrRegion": "WA", "countryCode": "US"}}
    stored = json.dumps(clean)
    for secret in ("John Smith", "buyer-email", "123 Main Street", "98101", "555-123-4567", "Smith Industries", "lobby"):
        assert secret not in stored
    assert clean["proceeds"] == ORDER["proceeds"] and clean["orderId"] == ORDER["orderId"]
    assert clean["buyerKey"] == buyer_key("buyer-email@marketplace.amazon.com")
    assert pii["order_id"] == ORDER["orderId"] and pii["buyer_key"] == clean["buyerKey"]
    assert (pii["buyer_email"], pii["recipient_name"], pii["postal_code"], pii["phone"]) == (
        "buyer-email@marketplace.amazon.com", "John Smith", "98101", "555-123-4567")


def test_split_does_not_change_the_input():
    before = json.dumps(ORDER, sort_keys=True)
    split(ORDER)
    assert json.dumps(ORDER, sort_keys=True) == before


def test_order_without_buyer_or_recipient_has_no_pii_row():
    clean, pii = split({"orderId": "1", "proceeds": {}})
    assert pii is None and "buyerKey" not in clean


def test_buyer_key_is_stable_across_case_and_spaces():
    assert buyer_key("  Buyer@Example.COM ", salt="s") == buyer_key("buyer@example.com", salt="s")
    assert buyer_key("other@example.com", salt="s") != buyer_key("buyer@example.com", salt="s")
    assert buyer_key(None) is None and buyer_key("") is None


def test_buyer_key_depends_on_the_salt(monkeypatch):
    assert buyer_key("buyer@example.com", salt="a") != buyer_key("buyer@example.com", salt="b")
    assert "buyer" not in buyer_key("buyer@example.com", salt="a")
    # The salt reaches every writer of buyer keys from one place: AMAZON_ZOHO_PII_SALT -> Settings -> the warehouse
    # resource (as dg.EnvVar, so its value is never shown), which the raw and Zoho assets both read.
    monkeypatch.setenv("AMAZON_ZOHO_PII_SALT", "from-env")
    warehouse = warehouse_resource(Settings.from_env()).process_config_and_initialize()
    assert warehouse.pii_salt == "from-env"
    assert split(ORDER, warehouse.pii_salt)[0]["buyerKey"] == buyer_key("buyer-email@marketplace.amazon.com", salt="from-env")
    assert buyer_key("buyer@example.com") == buyer_key("buyer@example.com", salt=DEFAULT_PII_SALT)


# -- against Amazon's model: every place an order can hold who or where ------------------------------------------
MODEL = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "amazon" / "orders_2026-01-01.json"
# Who and where in the model's definitions: definition -> its properties that are personal (None: all of them).
# A property whose type is one of these definitions is personal as that definition says, wherever it appears.
PERSONAL = {
    "Buyer": None,
    "CustomerAddress": {"name", "companyName", "addressLine1", "addressLine2", "addressLine3", "districtOrCounty",
                        "municipality", "postalCode", "phone", "extendedFields", "addressType"},
    "DeliveryPreference": None,
    "OrderTaxRegistration": {"legalName", "taxRegistrationNumber", "taxRegistrationAttributes"},
    "GiftOption": {"giftMessage"},
}


def _model() -> dict:
    if not MODEL.exists():
        pytest.skip(f"official Orders v2026-01-01 model not found at {MODEL} (../shared/reference is not checked out)")
    return json.loads(MODEL.read_text())["definitions"]


def _maximal(schema: dict, definitions: dict, path: tuple, personal: bool, found: dict):
    """A value for `schema` with every property present and one element in every list; each scalar is a marker
    naming its path. `found` gets path -> (marker, personal) for every scalar."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        definition = definitions[name]
        if "properties" in definition:
            fields = PERSONAL.get(name, set())
            return {k: _maximal(v, definitions, (*path, k), personal or fields is None or k in fields, found)
                    for k, v in definition["properties"].items()}
        schema = definition
    if schema.get("type") == "array":
        return [_maximal(schema["items"], definitions, (*path, 0), personal, found)]
    if schema.get("type") == "object":
        return {k: _maximal(v, definitions, (*path, k), personal, found) for k, v in schema.get("properties", {}).items()}
    value = {"string": "\u00a7" + ".".join(map(str, path)) + "\u00a7", "integer": len(path), "number": len(path) + 0.5,
             "boolean": True}[schema.get("type", "string")]
    found[path] = (value, personal)
    return value


def _scalars(value, path=()) -> dict:
    if isinstance(value, dict):
        return {p: v for k, item in value.items() for p, v in _scalars(item, (*path, k)).items()}
    if isinstance(value, list):
        return {p: v for i, item in enumerate(value) for p, v in _scalars(item, (*path, i)).items()}
    return {path: value}


def test_a_model_order_with_every_field_keeps_all_but_who_and_where():
    found: dict = {}
    order = _maximal({"$ref": "#/definitions/Order"}, _model(), (), False, found)
    assert {p[:2] for p, (_, personal) in found.items() if personal} >= {("buyer", "buyerName"), ("tax", "taxRegistrations")}

    clean, pii = split(order)

    stored = json.dumps(clean, ensure_ascii=False)
    leaked = sorted(".".join(map(str, p)) for p, (value, personal) in found.items() if personal and isinstance(value, str) and value in stored)
    assert not leaked, leaked
    kept = {p: value for p, (value, personal) in found.items() if not personal}
    kept |= {p: value for p, (value, _) in found.items() if p[-1] in NON_IDENTIFYING_ADDRESS}
    assert _scalars(clean) == {**kept, ("buyerKey",): buyer_key(order["buyer"]["buyerEmail"])}
    assert pii["phone"] == order["recipient"]["deliveryAddress"]["phone"]
