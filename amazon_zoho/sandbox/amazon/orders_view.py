"""An order as Orders API v2026-01-01 shows it (definitions `Order` and `OrderItem` of the model).

Without `includedData` an order has its identity, times, sales channel and items (product, unit price).
Each dataset adds its sections:
    BUYER        buyer{buyerName, buyerEmail (merchant-fulfilled only), buyerCompanyName}  } only while UNSHIPPED,
    RECIPIENT    recipient.deliveryAddress                                                } PARTIALLY_SHIPPED, SHIPPED
    PROCEEDS     order proceeds{grandTotal, breakdowns} and item proceeds (not PENDING/CANCELLED)
    PROMOTION    item promotion{breakdowns[{promotionId}]}
    CANCELLATION item cancellation (CANCELLED orders)
    FULFILLMENT  order fulfillment{fulfillmentStatus, fulfilledBy, fulfillmentServiceLevel, windows}, item quantities
    PACKAGES     packages with carrier and tracking (merchant-fulfilled, shipped)
    TAX          item tax collection model (US/CA marketplace-facilitator tax)
EXPENSE (points, JP only), PAYMENT and FULFILLMENT_ORDERS (Easy Ship only) add nothing for these sellers.
PENDING orders carry no pricing at all, as on Amazon.

Proceeds: grandTotal is what the buyer paid. Breakdowns ITEM (unit price x quantity), SHIPPING, DISCOUNT
(negative) and TAX (with detailedBreakdowns ITEM / SHIPPING). In EU/UK marketplaces VAT is included in
ITEM/SHIPPING/DISCOUNT and TAX states the VAT they contain (grandTotal = ITEM + SHIPPING + DISCOUNT);
in US/CA tax is added (grandTotal = ITEM + SHIPPING + DISCOUNT + TAX).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from .catalog import CENT
from .datagen import CANCELLED, PENDING, SHIPPED, UNSHIPPED, Item, Order
from .orders_query import iso

SHIPPING_STATUSES = (UNSHIPPED, "PARTIALLY_SHIPPED", SHIPPED)
_CARRIER = {"DE": "DHL", "GB": "Royal Mail", "FR": "Colissimo", "US": "UPS", "CA": "Canada Post"}


def money(amount: Decimal, currency: str) -> dict:
    return {"amount": str(amount.quantize(CENT)), "currencyCode": currency}


def order_json(order: Order, status: str, last_updated: datetime, included: set[str]) -> dict:
    cur = order.currency
    priced = status not in (PENDING,)
    out: dict = {
        "orderId": order.order_id,
        "createdTime": iso(order.created),
        "lastUpdatedTime": iso(last_updated),
    }
    if order.afn and order.service_level == "NEXT_DAY":
        out["programs"] = ["PRIME"]
    out["salesChannel"] = {"channelName": "AMAZON", "marketplaceId": order.marketplace_id, "marketplaceName": order.marketplace_name}
    if "BUYER" in included and status in SHIPPING_STATUSES:
        b = order.buyer
        out["buyer"] = {"buyerName": b.name}
        if not order.afn:
            out["buyer"]["buyerEmail"] = b.email
        if b.company:
            out["buyer"]["buyerCompanyName"] = b.company
    if "RECIPIENT" in included and status in SHIPPING_STATUSES:
        out["recipient"] = {"deliveryAddress": _address(order)}
    if "PROCEEDS" in included and priced and status != CANCELLED:
        out["proceeds"] = {"grandTotal": money(order.paid, cur), "breakdowns": _breakdowns(order.items, cur, order_level=True)}
    if "FULFILLMENT" in included:
        out["fulfillment"] = _fulfillment(order, status)
    out["orderItems"] = [_item(order, item, status, included) for item in order.items]
    if "PACKAGES" in included and not order.afn and status == SHIPPED:
        out["packages"] = [_package(order)]
    return out


def _item(order: Order, item: Item, status: str, included: set[str]) -> dict:
    cur = order.currency
    product = {
        "asin": item.product.asin,
        "title": item.product.title,
        "sellerSku": item.product.sku,
        "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
    }
    if status != PENDING:
        product["price"] = {"unitPrice": money(item.unit_price, cur)}
    out: dict = {"orderItemId": item.order_item_id, "quantityOrdered": item.quantity, "product": product}
    if "PROCEEDS" in included and status not in (PENDING, CANCELLED):
        out["proceeds"] = {"proceedsTotal": money(item.paid, cur), "breakdowns": _breakdowns((item,), cur, order_level=False)}
    if "PROMOTION" in included and item.promotion_id:
        out["promotion"] = {"breakdowns": [{"promotionId": item.promotion_id}]}
    if "CANCELLATION" in included and status == CANCELLED:
        reason = "BUYER_CANCELED" if order.cancel_requester == "BUYER" else "NO_INVENTORY"
        # The generator says SELLER; v2026's ItemCancellationExecution.cancelledBy knows BUYER, MERCHANT, AMAZON.
        by = "MERCHANT" if order.cancel_requester == "SELLER" else order.cancel_requester
        out["cancellation"] = {"cancellationExecution": {"cancelledBy": by, "cancelReason": reason}}
        if order.cancel_requester == "BUYER":
            out["cancellation"]["cancellationRequest"] = {"requester": "BUYER", "cancelReason": reason}
    if "FULFILLMENT" in included:
        shipped = item.quantity if status == SHIPPED else 0
        out["fulfillment"] = {"quantityFulfilled": shipped, "quantityUnfulfilled": item.quantity - shipped}
    if "TAX" in included and not item.tax_included:
        # v2026 spells the model MARKETPLACE_FACILITATOR (ItemTaxCollection); "MarketplaceFacilitator" is v0's spelling.
        out["tax"] = {"taxCollections": [{"model": "MARKETPLACE_FACILITATOR", "responsibleParty": "Amazon Services, Inc."}]}
    return out


def _breakdowns(items, cur: str, order_level: bool) -> list[dict]:
    zero = Decimal("0")
    item = sum((i.item_price for i in items), zero)
    ship = sum((i.shipping_price for i in items), zero)
    disc = sum((i.promotion_discount for i in items), zero)
    item_tax = sum((i.item_tax for i in items), zero)
    ship_tax = sum((i.shipping_tax for i in items), zero)
    out = [{"type": "ITEM", "subtotal": money(item, cur)}]
    if ship:
        out.append({"type": "SHIPPING", "subtotal": money(ship, cur)})
    if disc:
        out.append({"type": "DISCOUNT", "subtotal": money(-disc, cur)})
    tax = {"type": "TAX", "subtotal": money(item_tax + ship_tax, cur)}
    if not order_level:  # the model has detailed breakdowns on item proceeds only
        tax["detailedBreakdowns"] = [{"subtype": "ITEM", "value": money(item_tax, cur)}]
        if ship:
            tax["detailedBreakdowns"].append({"subtype": "SHIPPING", "value": money(ship_tax, cur)})
    out.append(tax)
    return out


def _address(order: Order) -> dict:
    b = order.buyer
    addr = {"name": b.name}
    if b.company:
        addr["companyName"] = b.company
    addr.update({"addressLine1": b.address_line1, "city": b.city})
    if b.state_or_region:
        addr["stateOrRegion"] = b.state_or_region
    addr.update({"postalCode": b.postal_code, "countryCode": b.country_code, "phone": b.phone})
    addr["addressType"] = "COMMERCIAL" if b.company else "RESIDENTIAL"
    return addr


def _fulfillment(order: Order, status: str) -> dict:
    day = order.created.replace(hour=0, minute=0, second=0)
    end = timedelta(hours=23, minutes=59, seconds=59)
    ship_days = 1 if order.service_level in ("NEXT_DAY", "EXPEDITED") else 2
    return {
        "fulfillmentStatus": status,
        "fulfilledBy": order.fulfilled_by,
        "fulfillmentServiceLevel": order.service_level,
        "shipByWindow": {"earliestDateTime": iso(day), "latestDateTime": iso(day + timedelta(days=ship_days) + end)},
        "deliverByWindow": {
            "earliestDateTime": iso(day + timedelta(days=ship_days + 1)),
            "latestDateTime": iso(day + timedelta(days=ship_days + 3) + end),
        },
    }


def _package(order: Order) -> dict:
    shipped = order.event_time(SHIPPED)
    return {
        "packageReferenceId": "1",
        "createdTime": iso(shipped - timedelta(hours=2)),
        "packageStatus": {"status": "SHIPPED"},
        "carrier": _CARRIER[order.country],
        "shipTime": iso(shipped),
        "shippingService": "Standard",
        "trackingNumber": "".join(ch for ch in order.order_id if ch.isdigit())[-12:],
        "packageItems": [{"orderItemId": i.order_item_id, "quantity": i.quantity} for i in order.items],
    }
