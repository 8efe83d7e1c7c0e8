"""Splits buyer and recipient details off an order before it is stored, so PII lands in one place.

The raw table keeps everything else Amazon sent; the restricted pii table keeps who and where. The
pseudonymous buyer key is a salted hash of the (relay) email: stable across orders, useless to a reader.

Every place Amazon's Orders API v2026-01-01 puts who or where in an order (its model,
../shared/reference/amazon/orders_2026-01-01.json, walked from the `Order` definition):

- `buyer` (Buyer: buyerName, buyerEmail, buyerCompanyName, buyerPurchaseOrderNumber): to pii; buyerKey stays.
- `recipient.deliveryAddress` (CustomerAddress: name, companyName, addressLine1-3, districtOrCounty, municipality,
  postalCode, phone, extendedFields {streetName, streetNumber, complement, neighborhood}, addressType): to pii;
  city, stateOrRegion and countryCode stay (NON_IDENTIFYING_ADDRESS).
- `recipient.deliveryPreference` (DeliveryPreference: dropOffLocation, addressInstruction, ...): dropped.
- `tax.taxRegistrations[]` (OrderTaxRegistration: legalName, taxRegistrationNumber, taxRegistrationAttributes[],
  and taxRegistrationAddress, a CustomerAddress again, phone included): dropped but for entityType,
  taxRegistrationType and the address's NON_IDENTIFYING_ADDRESS parts. Whichever the entityType: a BUYER's is
  personal (a CPF is a person's tax number), a MERCHANT's or MARKETPLACE's is not needed here.
- `orderItems[].fulfillment.packing.giftOption.giftMessage` (GiftOption: the buyer's personal message): dropped;
  giftWrapLevel stays.

Not personal, kept: `packages[].shipFromAddress` (MerchantAddress: the seller's own warehouse, no phone) and the
rest of the order. Something other than the model's object or list at `tax`, `tax.taxRegistrations`, one
registration or a `giftOption` is dropped (null), not kept: it could hold anything.
"""

from __future__ import annotations

import hashlib
import json

from ..settings import DEFAULT_PII_SALT

# Parts of a CustomerAddress that do not identify a person; they stay in raw for analytics.
NON_IDENTIFYING_ADDRESS = ("city", "stateOrRegion", "countryCode")
# Parts of an OrderTaxRegistration that stay in raw (besides its address's NON_IDENTIFYING_ADDRESS parts).
NON_IDENTIFYING_TAX_REGISTRATION = ("entityType", "taxRegistrationType")


def buyer_key(email: str | None, salt: str = DEFAULT_PII_SALT) -> str | None:
    """The buyer's pseudonym; `salt` is the warehouse's (WarehouseResource.pii_salt, from Settings)."""
    if not email:
        return None
    return hashlib.sha256(f"{salt}:{email.strip().lower()}".encode()).hexdigest()[:20]


def split(order: dict, salt: str = DEFAULT_PII_SALT) -> tuple[dict, dict | None]:
    """Returns (order without PII, PII row or None). The order itself is not changed."""
    clean = dict(order)
    buyer = _object(clean.pop("buyer", None))
    recipient = _object(clean.pop("recipient", None))
    address = _object(recipient.get("deliveryAddress"))
    if address:
        clean["recipient"] = {"deliveryAddress": _location(address)}
    if "tax" in clean:
        clean["tax"] = _tax_without_registrants(clean["tax"])
    if "orderItems" in clean:
        clean["orderItems"] = _items_without_gift_messages(clean["orderItems"])
    key = buyer_key(buyer.get("buyerEmail"), salt)
    if key:
        clean["buyerKey"] = key
    if not buyer and not address:
        return clean, None
    return clean, {
        "order_id": order.get("orderId"),
        "buyer_key": key,
        "buyer_name": buyer.get("buyerName"),
        "buyer_email": buyer.get("buyerEmail"),
        "buyer_company": buyer.get("buyerCompanyName"),
        "recipient_name": address.get("name"),
        "address_line1": address.get("addressLine1"),
        "address_line2": address.get("addressLine2"),
        "city": address.get("city"),
        "state": address.get("stateOrRegion"),
        "postal_code": address.get("postalCode"),
        "country_code": address.get("countryCode"),
        "phone": address.get("phone"),
    }


def dumps(order: dict) -> str:
    return json.dumps(order, separators=(",", ":"), sort_keys=True)


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _location(address: dict) -> dict:
    return {k: address[k] for k in NON_IDENTIFYING_ADDRESS if k in address}


def _tax_without_registrants(tax) -> dict | None:
    if not isinstance(tax, dict):
        return None
    clean = dict(tax)
    if "taxRegistrations" in clean:
        registrations = clean["taxRegistrations"]
        clean["taxRegistrations"] = [_registration(r) for r in registrations if isinstance(r, dict)] \
            if isinstance(registrations, list) else None
    return clean


def _registration(registration: dict) -> dict:
    clean = {k: registration[k] for k in NON_IDENTIFYING_TAX_REGISTRATION if k in registration}
    address = _object(registration.get("taxRegistrationAddress"))
    if address:
        clean["taxRegistrationAddress"] = _location(address)
    return clean


def _items_without_gift_messages(items):
    if not isinstance(items, list):
        return items
    return [_item_without_gift_message(item) for item in items]


def _item_without_gift_message(item):
    packing = _object(_object(_object(item).get("fulfillment")).get("packing"))
    if "giftOption" not in packing:
        return item
    gift = packing["giftOption"]
    gift = {k: v for k, v in gift.items() if k != "giftMessage"} if isinstance(gift, dict) else None
    return {**item, "fulfillment": {**item["fulfillment"], "packing": {**packing, "giftOption": gift}}}
