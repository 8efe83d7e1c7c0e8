"""Control endpoints with the ground truth behind the simulated Amazon, for tests and benchmarks to
compare the warehouse against:

    GET /_sandbox/amazon/truth/orders?createdAfter=ISO&createdBefore=ISO
        every order of the configured marketplaces created in [createdAfter, createdBefore), as of now
    GET /_sandbox/amazon/truth/settlements
        the settlements getReports lists now, with their total and number of detail rows
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from ..http import Request, Response
from .datagen import orders_created_between
from .orders_query import iso
from .report_model import RETENTION
from .settlement_lines import period_lines
from .settlement_schedule import settlement_reports

# Regenerating more than this many days per call would make a typo an expensive request.
MAX_DAYS = 400


def register(app) -> None:
    r = app.router
    r.add("GET", "/_sandbox/amazon/truth/orders", "control", "amazon_truth_orders", lambda req: truth_orders(app, req))
    r.add("GET", "/_sandbox/amazon/truth/settlements", "control", "amazon_truth_settlements", lambda req: truth_settlements(app))


def truth_orders(app, req: Request) -> Response:
    now = _now(app)
    try:
        after = _parse(req.arg("createdAfter"))
        before = min(_parse(req.arg("createdBefore")) if req.arg("createdBefore") else now, now)
    except ValueError:
        return Response.json(400, {"error": "createdAfter (required) and createdBefore must be ISO 8601 date-times"})
    if before - after > timedelta(days=MAX_DAYS):
        return Response.json(400, {"error": f"the window may span at most {MAX_DAYS} days"})
    out = []
    for order in orders_created_between(app.config, app.config.marketplaces, after, before):
        state = order.as_of(now)
        if state is None or not after <= order.created < before:
            continue
        out.append(
            {
                "orderId": order.order_id,
                "marketplaceId": order.marketplace_id,
                "createdTime": iso(order.created),
                "status": state[0],
                "lastUpdatedTime": iso(state[1]),
                "fulfilledBy": order.fulfilled_by,
                "itemCount": len(order.items),
                "grandTotal": str(order.paid),
                "deliveryTip": str(order.tip),  # inside grandTotal; the order report has no column for it
                "currency": order.currency,
            }
        )
    out.sort(key=lambda o: (o["createdTime"], o["orderId"]))
    return Response.json(200, {"orders": out})


def truth_settlements(app) -> Response:
    now = _now(app)
    cfg = app.config
    out = []
    for info in settlement_reports(app, now):
        if info.created < now - RETENTION:
            continue
        lines = period_lines(cfg.seed, cfg.orders_per_day, info.marketplace_id, info.index)
        out.append(
            {
                "report_id": info.report_id,
                "settlement_id": info.settlement_id,
                "marketplace_id": info.marketplace_id,
                "start": iso(info.start),
                "end": iso(info.end),
                "created": iso(info.created),
                "total": str(sum((line.amount for line in lines), Decimal("0"))),
                "detail_row_count": len(lines),
            }
        )
    out.sort(key=lambda s: (s["marketplace_id"], s["start"]))
    return Response.json(200, {"settlements": out})


def _parse(value: str | None) -> datetime:
    if not value:
        raise ValueError("missing")
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _now(app) -> datetime:
    return datetime.fromtimestamp(app.now(), timezone.utc)
