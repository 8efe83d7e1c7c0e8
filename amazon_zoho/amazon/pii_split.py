"""Splits buyer and recipient details off an order before it is stored, so PII lands in one place.

The raw table keeps everything else Amazon sent; the restricted pii table keeps who and where. The
pseudonymous buyer key is a salted hash of the (relay) email: stable across orders, useless to a reader.
"""

from __future__ import annotations

import hashlib
import json
import os

# Parts of `recipient.deliveryAddress` that do not identify a person; they stay in raw for analytics.
NON_IDENTIFYING_ADDRESS = ("city", "stateOrRegion", "countryCode")


def buyer_key(email: str | None, salt: str | None = None) -> str | None:
    if not email:
        return None
    salt = salt if salt is not None else os.environ.get("AMAZON_ZOHO_PII_SALT") or "amazon_zoho"
    return hashlib.sha256(f"{salt}:{email.strip().lower()}".encode()).hexdigest()[:20]


def split(order: dict) -> tuple[dict, dict | None]:
    """Returns (order without PII, PII row or None)."""
    clean = dict(order)
    buyer = clean.pop("buyer", None) or {}
    recipient = clean.pop("recipient", None) or {}
    address = recipient.get("deliveryAddress") or {}
    if address:
        clean["recipient"] = {"deliveryAddress": {k: address[k] for k in NON_IDENTIFYING_ADDRESS if k in address}}
    key = buyer_key(buyer.get("buyerEmail"))
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
