"""Orders API v2026-01-01: searchOrders and getOrder over the generated orders.

Responses are not wrapped in `payload` (unlike v0): `{"orders":[…],"pagination":{"nextToken"},
"createdBefore"|"lastUpdatedBefore"}` and `{"order":{…}}`. Usage plans come from the model's
operation descriptions. The malformed-row fault corrupts one money amount in a page (the same order
and the same garbage for a given order id), so clients' quarantine paths get exercised.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from ..http import Request, Response
from . import orders_query as q
from .datagen import find_order
from .orders_view import order_json
from .poison import null_proceeds

INCLUDED_DATA = ("BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT", "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS")
FULFILLED_BY = ("MERCHANT", "AMAZON")
_NAMES = {
    "created_after": "createdAfter",
    "created_before": "createdBefore",
    "updated_after": "lastUpdatedAfter",
    "updated_before": "lastUpdatedBefore",
    "page_size": "maxResultsPerPage",
}
# Everything but these must be resent unchanged with a paginationToken (model, §12c).
_FREE_BETWEEN_PAGES = ("maxResultsPerPage", "includedData", "paginationToken")


def register(app) -> None:
    app.rate_plans["searchOrders"] = (0.0056, 20)
    app.rate_plans["getOrder"] = (0.5, 30)
    app.router.add("GET", "/orders/2026-01-01/orders", "amazon", "searchOrders", lambda req: search_orders(app, req))
    app.router.add("GET", "/orders/2026-01-01/orders/{orderId}", "amazon", "getOrder", lambda req: get_order(app, req))


def _now(app) -> datetime:
    return datetime.fromtimestamp(app.now(), tz=timezone.utc)


def _enum_list(req: Request, name: str, allowed) -> list[str]:
    values = req.args(name)
    bad = [v for v in values if v not in allowed]
    if bad:
        raise q.InvalidInput("Invalid Input", f"Invalid value(s) for {name}: {', '.join(bad)}. Allowed: {', '.join(allowed)}.")
    return values


def search_orders(app, req: Request) -> Response:
    now = _now(app)
    try:
        included = set(_enum_list(req, "includedData", INCLUDED_DATA))
        search = q.parse(
            now,
            _NAMES,
            req.arg("createdAfter"),
            req.arg("createdBefore"),
            req.arg("lastUpdatedAfter"),
            req.arg("lastUpdatedBefore"),
            req.args("marketplaceIds"),
            app.config.marketplaces,
            _enum_list(req, "fulfillmentStatuses", q.FULFILLMENT_STATUSES),
            _enum_list(req, "fulfilledBy", FULFILLED_BY),
            req.arg("maxResultsPerPage"),
        )
        filters = {k: sorted(req.args(k)) for k in req.query if k not in _FREE_BETWEEN_PAGES}
        position, as_of, issued = None, now, app.now()
        token = req.arg("paginationToken")
        if token:
            state = q.read_token(secret(app), token, filters, app.now())
            position, as_of, issued = state.position, state.as_of, state.issued
    except q.InvalidInput as exc:
        return Response.json(400, exc.body())
    rows, last_key = q.page(q.select(app.config, search, as_of), position, search.page_size)
    orders = [order_json(o, status, last, included) for _, o, status, last in rows]
    _maybe_corrupt(app, orders)
    null_proceeds(app, orders)
    body: dict = {"orders": orders}
    if last_key is not None:
        body["pagination"] = {"nextToken": q.make_token(secret(app), filters, last_key, as_of, issued)}
    if rows and app.faults.roll("pagination_loop"):
        # Pagination-loop fault: the next page is said to start just before this page's first order, i.e. to be this
        # page again (a listing of one page loops too).
        first_time, _ = rows[0][0]
        body["pagination"] = {"nextToken": q.make_token(secret(app), filters, (first_time, ""), as_of, issued)}
    body["createdBefore" if search.mode == "created" else "lastUpdatedBefore"] = q.iso(search.before)
    return Response.json(200, body)


def get_order(app, req: Request) -> Response:
    try:
        included = set(_enum_list(req, "includedData", INCLUDED_DATA))
    except q.InvalidInput as exc:
        return Response.json(400, exc.body())
    order_id = req.path_params["orderId"]
    refused = _refused(app, order_id)
    if refused:
        return refused
    order = find_order(app.config, order_id)
    state = order.as_of(_now(app)) if order else None
    if state is None:
        return Response.json(404, {"errors": [{"code": "NotFound", "message": "The requested order was not found.", "details": order_id}]})
    body = order_json(order, state[0], state[1], included)
    holder = [body]
    _maybe_corrupt(app, holder)
    null_proceeds(app, holder)
    return Response.json(200, {"order": holder[0]})


def _refused(app, order_id: str) -> Response | None:
    """The getOrder-refusal faults: the same orders every time (chosen by id), like an order Amazon will not serve.
    Error bodies as the Orders API model's ErrorList (API-FACTS §1: 403 Unauthorized, 404 NotFound)."""
    share = int(hashlib.sha256(f"{app.config.seed}:{order_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if share < app.config.fault_get_order_404_rate:
        app.faults.injected["get_order_404"] += 1
        return Response.json(404, {"errors": [{"code": "NotFound", "message": "The requested order was not found.", "details": order_id}]})
    if share < app.config.fault_get_order_404_rate + app.config.fault_get_order_403_rate:
        app.faults.injected["get_order_403"] += 1
        return Response.json(403, {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": ""}]})
    return None


def secret(app) -> str:
    return f"sandbox-orders-{app.config.seed}"


def _maybe_corrupt(app, orders: list[dict]) -> None:
    """Malformed-data fault: one amount string becomes unparseable, e.g. "12.34" -> "12,3x"."""
    if not orders or not app.faults.roll("malformed_row"):
        return
    victim = min(orders, key=lambda o: hashlib.sha256(o["orderId"].encode()).hexdigest())
    target = victim.get("proceeds", {}).get("grandTotal")
    if target is None:
        target = next((i["product"]["price"]["unitPrice"] for i in victim["orderItems"] if "price" in i["product"]), None)
    if target is not None:
        target["amount"] = target["amount"].replace(".", ",")[:-1] + "x"
