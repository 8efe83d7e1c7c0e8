"""pii_split: whatever the buyer and recipient hold, the order that is stored outside pii names no one, and the
buyer key does not change with the case or padding of the email."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from amazon_zoho.amazon.pii_split import NON_IDENTIFYING_ADDRESS, buyer_key, dumps, split

from .support import budget

IDENTIFYING_KEYS = ("buyerEmail", "buyerName", "buyerCompanyName", "buyerPurchaseOrderNumber", "name", "companyName",
                    "addressLine1", "addressLine2", "addressLine3", "districtOrCounty", "municipality", "postalCode",
                    "phone", "addressInstruction")
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


@st.composite
def secrets(draw, field: str) -> str:
    """Hypothesis text made unmistakable, so finding it in the stored JSON can only mean it leaked."""
    return f"\u00a7{field}:{draw(text)}\u00a7"


def maybe(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def orders(draw) -> dict:
    order = {"orderId": draw(st.text(min_size=1, max_size=19)), "createdTime": "2026-01-02T03:04:05Z",
             "proceeds": {"grandTotal": {"amount": "9.99", "currencyCode": "EUR"}},
             "orderItems": [{"orderItemId": "1", "product": {"title": draw(text), "sellerSku": draw(text)}}]}
    buyer = {k: draw(secrets(k)) for k in ("buyerEmail", "buyerName", "buyerCompanyName", "buyerPurchaseOrderNumber")
             if draw(st.booleans())}
    if buyer or draw(st.booleans()):
        order["buyer"] = buyer or draw(st.sampled_from([None, {}]))
    address = {k: draw(secrets(k)) for k in ("name", "companyName", "addressLine1", "addressLine2", "addressLine3",
                                             "districtOrCounty", "municipality", "postalCode", "phone") if draw(st.booleans())}
    address |= {k: draw(text) for k in NON_IDENTIFYING_ADDRESS if draw(st.booleans())}
    recipient = {}
    if address or draw(st.booleans()):
        recipient["deliveryAddress"] = address
    if draw(st.booleans()):
        recipient["deliveryPreference"] = {"addressInstruction": draw(secrets("addressInstruction"))}
    if recipient or draw(st.booleans()):
        order["recipient"] = recipient
    return order


def identifying_values(order: dict) -> list[str]:
    found = []
    for part in (order.get("buyer") or {}, (order.get("recipient") or {}).get("deliveryAddress") or {},
                 (order.get("recipient") or {}).get("deliveryPreference") or {}):
        found += [v for k, v in part.items() if k in IDENTIFYING_KEYS]
    return found


@settings(max_examples=budget(300))
@given(order=orders())
def test_the_cleaned_order_holds_no_buyer_or_address_detail(order):
    before = json.dumps(order, sort_keys=True)
    clean, pii = split(order)
    stored = dumps(clean)

    for key in IDENTIFYING_KEYS:
        assert f'"{key}"' not in stored
    for value in identifying_values(order):
        assert json.dumps(value)[1:-1] not in stored and value not in json.dumps(clean, ensure_ascii=False)
    assert "buyer" not in clean
    assert set((clean.get("recipient") or {}).get("deliveryAddress", {})) <= set(NON_IDENTIFYING_ADDRESS)
    assert json.dumps(order, sort_keys=True) == before, "split must not change its input"
    # Nothing else is lost: the cleaned order is the input without buyer and recipient (plus buyerKey).
    rest = {k: v for k, v in clean.items() if k not in ("recipient", "buyerKey")}
    assert rest == {k: v for k, v in order.items() if k not in ("buyer", "recipient")}
    email = (order.get("buyer") or {}).get("buyerEmail")
    assert clean.get("buyerKey") == buyer_key(email)
    if pii is not None:
        assert pii["buyer_email"] == email and pii["order_id"] == order["orderId"]


def case_and_padding(value: str):
    """The same email as a person might type it: any letters in either case, spaces and tabs around it."""
    padding = st.text(st.sampled_from(" \t\u00a0"), max_size=3)
    return st.tuples(padding, st.lists(st.booleans(), min_size=len(value), max_size=len(value)), padding).map(
        lambda t: t[0] + "".join(c.upper() if up else c.lower() for c, up in zip(value, t[1])) + t[2]
    )


# Letters whose case maps one to one (Unicode has exceptions like 'ß' -> 'SS'; relay emails are ASCII anyway).
one_to_one = st.characters(blacklist_categories=("Cs", "Zs", "Cc")).filter(
    lambda c: len(c.upper()) == 1 and len(c.lower()) == 1 and c.upper().lower() == c.lower() and c.lower().upper() == c.upper()
    and not c.isspace()
)


@settings(max_examples=budget(200))
@given(data=st.data(), email=st.one_of(st.emails(), st.text(one_to_one, min_size=1, max_size=30)), salt=st.text(max_size=10))
def test_buyer_key_is_stable_under_case_and_whitespace(data, email, salt):
    variant = data.draw(case_and_padding(email))
    assert buyer_key(variant, salt=salt) == buyer_key(email, salt=salt)
    assert buyer_key(email, salt=salt) is not None and len(buyer_key(email, salt=salt)) == 20
