"""Buyer and recipient details leave the order before it is stored; a salted key stands in for the buyer."""

import json

from amazon_zoho.amazon.pii_split import buyer_key, split

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
    monkeypatch.setenv("AMAZON_ZOHO_PII_SALT", "from-env")
    assert buyer_key("buyer@example.com") == buyer_key("buyer@example.com", salt="from-env")
    assert "buyer" not in buyer_key("buyer@example.com", salt="a")
