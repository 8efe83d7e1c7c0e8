"""Orders API v0 (deprecated, removal 2027-03-27): getOrders, getOrder and getOrderItems over the same
generated orders, so benchmarks can compare the old list-then-fetch-items-per-order pattern.

Shapes per API-FACTS §2a: `{"payload": …}` envelope, PascalCase, Money `{CurrencyCode, Amount}` with
Amount a string, ItemPrice the line total (unit price x quantity), no pricing while Pending; amounts
contain their tax where the marketplace's prices do (prices_include_tax, like the order report). An item
cancelled inside its order shows no pricing and nothing shipped. Buyer
info and the restricted address parts need a Restricted Data Token, which this sandbox does not issue,
so only the unrestricted address parts (city, region, postal code, country) appear.
A NextToken carries the filters of the first page; with it the other filters are not re-read.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..config import MARKETPLACES
from ..http import Request, Response
from . import orders_query as q
from .catalog import CENT
from .datagen import CANCELLED, PENDING, SHIPPED, Order, find_order
from .orders import secret

STATUS_V0 = {
    "PENDING_AVAILABILITY": "PendingAvailability",
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
    "UNFULFILLABLE": "Unfulfillable",
}
_STATUS_V2026 = {v: k for k, v in STATUS_V0.items()}
_CHANNEL = {"AFN": "AMAZON", "MFN": "MERCHANT"}
_LEVEL = {"STANDARD": "Standard", "NEXT_DAY": "NextDay", "EXPEDITED": "Expedited"}
_SHIP_LEVEL = {"STANDARD": "Std", "NEXT_DAY": "Next", "EXPEDITED": "Exp"}
_NAMES = {
    "created_after": "CreatedAfter",
    "created_before": "CreatedBefore",
    "updated_after": "LastUpdatedAfter",
    "updated_before": "LastUpdatedBefore",
    "page_size": "MaxResultsPerPage",
}


def register(app) -> None:
    app.rate_plans["getOrders"] = (0.0167, 20)
    app.rate_plans["getOrderV0"] = (0.5, 30)
    app.rate_plans["getOrderItems"] = (0.5, 30)
    app.router.add("GET", "/orders/v0/orders", "amazon", "getOrders", lambda req: get_orders(app, req))
    app.router.add("GET", "/orders/v0/orders/{orderId}", "amazon", "getOrderV0", lambda req: get_order(app, req))
    app.router.add("GET", "/orders/v0/orders/{orderId}/orderItems", "amazon", "getOrderItems", lambda req: get_order_items(app, req))


def _now(app) -> datetime:
    return datetime.fromtimestamp(app.now(), tz=timezone.utc)


def _money(amount, currency: str) -> dict:
    return {"CurrencyCode": currency, "Amount": str(amount.quantize(CENT))}


def _search(app, params: dict[str, list[str]], now: datetime) -> q.Search:
    one = lambda name: params[name][-1] if params.get(name) else None  # noqa: E731
    many = lambda name: [p for v in params.get(name, []) for p in v.split(",") if p]  # noqa: E731
    if not many("MarketplaceIds"):
        raise q.InvalidInput("Invalid Input", "MarketplaceIds is required.")
    statuses = many("OrderStatuses")
    bad = [s for s in statuses if s not in _STATUS_V2026] + [c for c in many("FulfillmentChannels") if c not in _CHANNEL]
    if bad:
        raise q.InvalidInput("Invalid Input", f"Invalid value(s): {', '.join(bad)}.")
    return q.parse(
        now, _NAMES, one("CreatedAfter"), one("CreatedBefore"), one("LastUpdatedAfter"), one("LastUpdatedBefore"),
        many("MarketplaceIds"), app.config.marketplaces,
        [_STATUS_V2026[s] for s in statuses], [_CHANNEL[c] for c in many("FulfillmentChannels")],
        one("MaxResultsPerPage"),
    )


def get_orders(app, req: Request) -> Response:
    now = _now(app)
    try:
        token = req.arg("NextToken")
        if token:
            state = q.read_token(secret(app), token, None, app.now())
            params, position, as_of, issued = state.filters, state.position, state.as_of, state.issued
            if req.arg("MaxResultsPerPage"):
                params = {**params, "MaxResultsPerPage": [req.arg("MaxResultsPerPage")]}
        else:
            params = {k: v for k, v in req.query.items() if k != "NextToken"}
            position, as_of, issued = None, now, app.now()
        search = _search(app, params, as_of)
    except q.InvalidInput as exc:
        return Response.json(400, exc.body())
    rows, last_key = q.page(q.select(app.config, search, as_of), position, search.page_size)
    payload: dict = {"Orders": [_order(o, status, last) for _, o, status, last in rows]}
    if last_key is not None:
        payload["NextToken"] = q.make_token(secret(app), params, last_key, as_of, issued)
    payload["CreatedBefore" if search.mode == "created" else "LastUpdatedBefore"] = q.iso(search.before)
    return Response.json(200, {"payload": payload})


def _lookup(app, req: Request):
    order = find_order(app.config, req.path_params["orderId"])
    state = order.as_of(_now(app)) if order else None
    if state is None:
        return None, None, Response.json(404, {"errors": [{"code": "NotFound", "message": "Order not found", "details": req.path_params["orderId"]}]})
    return order, state, None


def get_order(app, req: Request) -> Response:
    order, state, missing = _lookup(app, req)
    return missing or Response.json(200, {"payload": _order(order, *state)})


def get_order_items(app, req: Request) -> Response:
    order, state, missing = _lookup(app, req)
    if missing:
        return missing
    items = [_item(order, item, state[0]) for item in order.items]
    return Response.json(200, {"payload": {"AmazonOrderId": order.order_id, "OrderItems": items}})


def _order(order: Order, status: str, last: datetime) -> dict:
    shipped = status == SHIPPED
    units = sum(i.quantity for i in (order.items if status == PENDING else order.standing_items))
    day = order.created.replace(hour=0, minute=0, second=0)
    out = {
        "AmazonOrderId": order.order_id,
        "PurchaseDate": q.iso(order.created),
        "LastUpdateDate": q.iso(last),
        "OrderStatus": STATUS_V0[status],
        "FulfillmentChannel": "AFN" if order.afn else "MFN",
        "SalesChannel": order.marketplace_name,
        "ShipServiceLevel": f"{_SHIP_LEVEL[order.service_level]} {order.country} Dom",
    }
    if status not in (PENDING, CANCELLED):
        out["OrderTotal"] = _money(order.paid, order.currency)
    out.update({
        "NumberOfItemsShipped": units if shipped else 0,
        "NumberOfItemsUnshipped": 0 if shipped or status == CANCELLED else units,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": order.marketplace_id,
        "ShipmentServiceLevelCategory": _LEVEL[order.service_level],
        "OrderType": "StandardOrder",
        "EarliestShipDate": q.iso(day),
        "LatestShipDate": q.iso(day + timedelta(days=2, hours=23, minutes=59, seconds=59)),
        "IsBusinessOrder": bool(order.buyer.company) if status != PENDING else False,
        "IsPrime": order.afn and order.service_level == "NEXT_DAY",
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "HasRegulatedItems": False,
    })
    if status in ("UNSHIPPED", "PARTIALLY_SHIPPED", SHIPPED):
        b = order.buyer
        addr = {"City": b.city, "PostalCode": b.postal_code, "CountryCode": b.country_code}
        if b.state_or_region:
            addr["StateOrRegion"] = b.state_or_region
        out["ShippingAddress"] = addr
    return out


def _item(order: Order, item, status: str) -> dict:
    cur = order.currency
    out = {
        "ASIN": item.product.asin,
        "SellerSKU": item.product.sku,
        "OrderItemId": item.order_item_id,
        "Title": item.product.title,
        "QuantityOrdered": item.quantity,
        "QuantityShipped": item.quantity if status == SHIPPED else 0,
        "ProductInfo": {"NumberOfItems": "1"},
    }
    gone = item.cancelled and status != PENDING
    if gone:
        out["QuantityShipped"] = 0
    if status != PENDING and not gone:  # "While an order is Pending, getOrderItems returns no pricing"
        shown = item.shown(MARKETPLACES[order.marketplace_id].prices_include_tax)
        out.update({
            "ItemPrice": _money(shown.item, cur),
            "ItemTax": _money(shown.item_tax, cur),
            "ShippingPrice": _money(shown.shipping, cur),
            "ShippingTax": _money(shown.shipping_tax, cur),
            "ShippingDiscount": _money(shown.ship_promotion, cur),
            "ShippingDiscountTax": _money(shown.tax_on_shipping - shown.shipping_tax, cur),
            "PromotionDiscount": _money(shown.item_promotion, cur),
            "PromotionDiscountTax": _money(shown.tax_on_item - shown.item_tax, cur),
            "PromotionIds": item.promotion_ids,
        })
        if shown.gift_wrap:
            out["BuyerInfo"] = {"GiftWrapPrice": _money(shown.gift_wrap, cur), "GiftWrapTax": _money(shown.gift_wrap_tax, cur),
                                "GiftWrapLevel": "Classic"}
    out.update({"IsGift": "true" if item.gift_wrap_net else "false", "ConditionId": "New", "ConditionSubtypeId": "New",
                "IsTransparency": False, "SerialNumberRequired": False})
    return out
