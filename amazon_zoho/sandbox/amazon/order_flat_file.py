"""The all-orders flat files, by order date and by last update (API-FACTS §12a).

34 tab-separated columns: the 31 documented, `cpf` after `promotion-ids`, a final
`signature-confirmation-recommended` (the 33 of real files) and `order-item-id` after `order-status`
(real files since May 2026). One row per order item, each order as it stands now; orders created
after now do not exist yet. No buyer name or e-mail ("do not include customer-identifying
information"), but the ship-to city, region, postal code and country. Self-fulfilled orders show no
prices while Pending. Encoded Cp1252, which Amazon declares in the download's Content-Type; characters
Cp1252 lacks become "?", as in real files.

Money columns per the marketplace's report convention (amazon/marketplaces.csv prices_include_tax): in the EU
and UK item-price, shipping-price and gift-wrap-price contain the VAT that item-tax, shipping-tax and
gift-wrap-tax state ("item_price ... Contains the VAT-inclusive price", Amazon's VCS guide); in the US and Canada
they are before tax. Promotions are negative in item-promotion-discount and ship-promotion-discount (what real
files show; the loader takes either sign). An item cancelled inside an order that stands is a row with
item-status Cancelled, its quantity and its prices still shown (Amazon does not say what such a row carries; this
is the case that must not count). The file has no column for a delivery tip or a COD fee.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal

from ..config import MARKETPLACES
from .catalog import CENT
from .datagen import CANCELLED, PENDING, SHIPPED, UNSHIPPED, Order, orders_created_between
from .orders_query import MAX_ORDER_LIFETIME_DAYS

BY_ORDER_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
BY_LAST_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
HEADER = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status", "order-item-id",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name", "sku", "asin",
    "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax",
    "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
    "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "cpf", "is-business-order",
    "purchase-order-number", "price-designation", "signature-confirmation-recommended",
)
CHARSET = "Cp1252"
ORDER_STATUS = {PENDING: "Pending", UNSHIPPED: "Unshipped", SHIPPED: "Shipped", CANCELLED: "Cancelled"}
ITEM_STATUS = {PENDING: "Unshipped", UNSHIPPED: "Unshipped", SHIPPED: "Shipped", CANCELLED: "Cancelled"}
SERVICE_LEVEL = {"STANDARD": "Standard", "NEXT_DAY": "NextDay", "EXPEDITED": "Expedited"}


def render_order_report(app, report_type: str, marketplace_ids, start: datetime, end: datetime,
                        now: datetime | None = None) -> tuple[bytes, str] | None:
    """The file for orders created (or last updated) in [start, end), as they stood at `now` (default: the clock's
    now); None when no order matches."""
    now = now or datetime.fromtimestamp(app.now(), timezone.utc)
    by_update = report_type == BY_LAST_UPDATE
    lookback = MAX_ORDER_LIFETIME_DAYS if by_update else 0
    picked = []
    for order in orders_created_between(app.config, marketplace_ids, start, end, lookback):
        state = order.as_of(now)
        if state is None:
            continue
        moment = state[1] if by_update else order.created
        if start <= moment < end:
            picked.append((order, *state))
    if not picked:
        return None
    picked.sort(key=lambda p: (p[0].created, p[0].order_id))
    dropped = {c.strip() for c in app.config.fault_report_dropped_columns.split(",") if c.strip()}
    kept = [i for i, name in enumerate(HEADER) if name not in dropped]
    rows = ["\t".join(HEADER[i] for i in kept)]
    every_row = (cells for order, status, updated in picked for cells in _rows(order, status, updated))
    if len(kept) == len(HEADER):  # no column dropped: the rows as they are, without picking 34 cells one by one
        rows += ["\t".join(cells) for cells in every_row]
    else:
        rows += ["\t".join(cells[i] for i in kept) for cells in every_row]
    return ("\n".join(rows) + "\n").encode("cp1252", errors="replace"), CHARSET


def _rows(order: Order, status: str, updated: datetime) -> Iterator[list[str]]:
    """The order's rows, one per item; what the order's items share (dates, channel, ship-to) is formatted once."""
    buyer = order.buyer
    priced = order.afn or status != PENDING  # "item price is not shown for orders in a 'pending' state"
    included = MARKETPLACES[order.marketplace_id].prices_include_tax
    head = [order.order_id, "", _iso(order.created), _iso(updated), ORDER_STATUS[status]]
    channel = ["Amazon" if order.afn else "Merchant", order.marketplace_name, "", SERVICE_LEVEL[order.service_level]]
    currency = order.currency if priced else ""
    ship_to = [buyer.city, buyer.state_or_region or "", buyer.postal_code, buyer.country_code]
    business = "true" if buyer.company else "false"
    for item in order.items:
        shown = item.shown(included)
        item_status = "Cancelled" if item.cancelled and status != PENDING else ITEM_STATUS[status]
        yield [
            *head, item.order_item_id, *channel,
            item.product.title, item.product.sku, item.product.asin, item_status, str(item.quantity), currency,
            _money(shown.item, priced), _money(shown.item_tax, priced),
            _money(shown.shipping, priced), _money(shown.shipping_tax, priced),
            _money(shown.gift_wrap, priced and shown.gift_wrap > 0), _money(shown.gift_wrap_tax, priced and shown.gift_wrap > 0),
            _money(-shown.item_promotion, priced and shown.item_promotion > 0), _money(-shown.ship_promotion, priced and shown.ship_promotion > 0),
            *ship_to, ",".join(item.promotion_ids), "", business, "", "", "false",
        ]


def _money(amount: Decimal, shown: bool) -> str:
    return str(amount.quantize(CENT)) if shown else ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
