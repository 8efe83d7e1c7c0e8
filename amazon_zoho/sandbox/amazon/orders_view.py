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

Proceeds: grandTotal is what the buyer paid. Breakdowns ITEM (unit price x quantity), SHIPPING, GIFT_WRAP,
DISCOUNT (negative; item detailedBreakdowns ITEM / SHIPPING for item and shipping promotions), TAX (item
detailedBreakdowns ITEM, SHIPPING, GIFT_WRAP and DISCOUNT, the tax taken off with the promotions) and, at order
level only, DELIVERY_TIP with its status (PENDING, then FINALIZED). Whether TAX is inside the other breakdowns
or added to them is the marketplace's proceeds_include_tax (amazon/marketplaces.csv: added everywhere, as in the
model's examples): grandTotal = ITEM + SHIPPING + GIFT_WRAP + DISCOUNT (+ TAX where added) + DELIVERY_TIP.
An item cancelled inside an order that stands (from UNSHIPPED on) carries its cancellation, no unit shipped or
left to ship and no proceeds, and counts in no order breakdown.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ..config import MARKETPLACES
from .catalog import CENT
from .datagen import CANCELLED, PENDING, SHIPPED, UNSHIPPED, Item, Order, Shown
from .orders_query import iso

SHIPPING_STATUSES = (UNSHIPPED, "PARTIALLY_SHIPPED", SHIPPED)
_CARRIER = {"DE": "DHL", "GB": "Royal Mail", "FR": "Colissimo", "US": "UPS", "CA": "Canada Post"}


def money(amount: Decimal, currency: str) -> dict:
    return {"amount": str(amount.quantize(CENT)), "currencyCode": currency}


def order_json(order: Order, status: str, last_updated: datetime, included: set[str]) -> dict:
    cur = order.currency
    priced = status not in (PENDING,)
    # Each item's amounts as this order shows them, made once: the item's price, its proceeds and the order's
    # proceeds all read them (a getOrder per merchant-fulfilled order of a backfill made them three times each).
    shown = {item.order_item_id: item.shown(_included(order)) for item in order.items}
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
        breakdowns = _breakdowns([shown[i.order_item_id] for i in order.standing_items], cur, order_level=True)
        if order.tip:
            breakdowns.append({"type": "DELIVERY_TIP", "status": order.tip_status(last_updated), "subtotal": money(order.tip, cur)})
        out["proceeds"] = {"grandTotal": money(order.paid, cur), "breakdowns": breakdowns}
    if "FULFILLMENT" in included:
        out["fulfillment"] = _fulfillment(order, status)
    out["orderItems"] = [_item(order, item, shown[item.order_item_id], status, included) for item in order.items]
    if "PACKAGES" in included and not order.afn and status == SHIPPED:
        out["packages"] = [_package(order)]
    return out


def _item(order: Order, item: Item, shown: Shown, status: str, included: set[str]) -> dict:
    cur = order.currency
    product = {
        "asin": item.product.asin,
        "title": item.product.title,
        "sellerSku": item.product.sku,
        "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
    }
    if status != PENDING:
        product["price"] = {"unitPrice": money(shown.unit_price, cur)}
    out: dict = {"orderItemId": item.order_item_id, "quantityOrdered": item.quantity, "product": product}
    gone = item.cancelled and status != PENDING  # cancelled inside the order when it became UNSHIPPED
    if "PROCEEDS" in included and status not in (PENDING, CANCELLED) and not gone:
        out["proceeds"] = {"proceedsTotal": money(item.paid, cur), "breakdowns": _breakdowns([shown], cur, order_level=False)}
    if "PROMOTION" in included and item.promotion_ids:
        out["promotion"] = {"breakdowns": [{"promotionId": p} for p in item.promotion_ids]}
    if "CANCELLATION" in included and gone:
        out["cancellation"] = {"cancellationExecution": {"cancelledBy": "MERCHANT", "cancelReason": "NO_INVENTORY"}}
    if "CANCELLATION" in included and status == CANCELLED:
        reason = "BUYER_CANCELED" if order.cancel_requester == "BUYER" else "NO_INVENTORY"
        # The generator says SELLER; v2026's ItemCancellationExecution.cancelledBy knows BUYER, MERCHANT, AMAZON.
        by = "MERCHANT" if order.cancel_requester == "SELLER" else order.cancel_requester
        out["cancellation"] = {"cancellationExecution": {"cancelledBy": by, "cancelReason": reason}}
        if order.cancel_requester == "BUYER":
            out["cancellation"]["cancellationRequest"] = {"requester": "BUYER", "cancelReason": reason}
    if "FULFILLMENT" in included:
        shipped = item.quantity if status == SHIPPED and not gone else 0
        out["fulfillment"] = {"quantityFulfilled": shipped, "quantityUnfulfilled": 0 if gone or status == CANCELLED else item.quantity - shipped}
        if item.gift_wrap_net:
            out["fulfillment"]["packing"] = {"giftOption": {"giftMessage": "Enjoy!", "giftWrapLevel": "STANDARD"}}
    if "TAX" in included and not item.tax_included:
        # v2026 spells the model MARKETPLACE_FACILITATOR (ItemTaxCollection); "MarketplaceFacilitator" is v0's spelling.
        out["tax"] = {"taxCollections": [{"model": "MARKETPLACE_FACILITATOR", "responsibleParty": "Amazon Services, Inc."}]}
    return out


def _included(order: Order) -> bool:
    return MARKETPLACES[order.marketplace_id].proceeds_include_tax


def _breakdowns(shown: list[Shown], cur: str, order_level: bool) -> list[dict]:

    def total(field: str) -> Decimal:
        return sum((getattr(s, field) for s in shown), Decimal("0"))

    out = [{"type": "ITEM", "subtotal": money(total("item"), cur)}]
    for kind, field in (("SHIPPING", "shipping"), ("GIFT_WRAP", "gift_wrap")):
        if total(field):
            out.append({"type": kind, "subtotal": money(total(field), cur)})
    if total("discount"):
        discount = {"type": "DISCOUNT", "subtotal": money(-total("discount"), cur)}
        if not order_level:  # the model has detailed breakdowns on item proceeds only
            discount["detailedBreakdowns"] = [{"subtype": s, "value": money(-total(f), cur)}
                                              for s, f in (("ITEM", "item_promotion"), ("SHIPPING", "ship_promotion")) if total(f)]
        out.append(discount)
    tax = {"type": "TAX", "subtotal": money(total("tax"), cur)}
    if not order_level:
        tax["detailedBreakdowns"] = [{"subtype": "ITEM", "value": money(total("tax_on_item"), cur)}]
        tax["detailedBreakdowns"] += [{"subtype": s, "value": money(total(f), cur)}
                                      for s, f in (("SHIPPING", "tax_on_shipping"), ("GIFT_WRAP", "gift_wrap_tax"), ("DISCOUNT", "tax_on_discounts"))
                                      if total(f)]
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
        "packageItems": [{"orderItemId": i.order_item_id, "quantity": i.quantity} for i in order.standing_items],
    }
