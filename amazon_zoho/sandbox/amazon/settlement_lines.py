"""The money movements of one settlement period, as Amazon books them (one `Line` per amount).

Choices, per shipped item (posted at the SHIPPED event; an item cancelled inside its order has none):
    ItemPrice/Principal, ItemPrice/Shipping, ItemPrice/GiftWrap   what the buyer was charged (EU/UK: VAT
                                              included, as in the order report)
    ItemPrice/Tax, ItemPrice/ShippingTax, ItemPrice/GiftWrapTax   US/CA only: sales tax collected from the
    ItemWithheldTax/MarketplaceFacilitatorTax-Principal, -Shipping, -Giftwrap   buyer, which Amazon remits
                                              itself as marketplace facilitator, so these net to zero. EU/UK
                                              sellers remit VAT themselves and see no tax rows.
    Promotion/Principal, Promotion/Shipping   minus the item and the shipping promotion
    ItemFees/Commission                       referral fee: 15 % of (item price + shipping + gift wrap -
                                              discounts), at least 0.30 per item, like Home & Kitchen
A delivery tip has no row: Amazon documents none for settlements (marts.settlement_reconciliation sets tips
apart).
    ItemFees/FBAPerUnitFulfillmentFee         FBA (AFN) orders only: the product's fee x quantity
Per REFUNDED event (principal and tax of one item, never shipping): the ItemPrice/Tax/withheld rows
reversed, the discount given back, the item's commission credited back, and ItemFees/RefundCommission
(the refund administration fee: 20 % of that commission, at most 5.00).
Per period: the Pro plan's monthly Subscription Fee when its charge day falls inside, and the reserve:
Amazon holds back the net proceeds of orders shipped in the period's last 3 days ("Current Reserve
Amount", negative) and releases the previous period's hold ("Previous Reserve Amount Balance").
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple

from ..config import CURRENCIES, MARKETPLACES
from .catalog import CENT
from .datagen import REFUNDED, SHIPPED, Item, Order, orders_created_between
from .settlement_schedule import settlement

REFERRAL_RATE = Decimal("0.15")
MIN_REFERRAL = Decimal("0.30")
SUBSCRIPTION = {currency: fee for currency, (_factor, fee) in CURRENCIES.items()}
RESERVE_WINDOW = timedelta(days=3)
# An order's events end at most 13 days after creation (ship <= 3 days, refund <= 10 days later).
_LOOKBACK_DAYS = 14
# An order ships at most 3 days after creation (datagen), so a period's reserve window sees orders of 3 more days.
_SHIP_LOOKBACK_DAYS = 3


@dataclass(frozen=True)
class Line:
    transaction_type: str
    amount_type: str
    description: str
    amount: Decimal
    posted: datetime
    order_id: str = ""
    adjustment_id: str = ""
    shipment_id: str = ""
    marketplace_name: str = ""
    fulfillment_id: str = ""
    order_item_code: str = ""
    sku: str = ""
    quantity: str = ""
    promotion_id: str = ""


class _Config(NamedTuple):  # what datagen reads from a config, hashable for the caches
    seed: int
    orders_per_day: int


def period_lines(seed: int, orders_per_day: int, marketplace_id: str, k: int) -> tuple[Line, ...]:
    """Every detail line of settlement period k, sorted by posting time."""
    info = settlement(seed, marketplace_id, k)
    sales = _sales(seed, orders_per_day, marketplace_id, k)
    currency = MARKETPLACES[marketplace_id].currency
    lines = list(sales)
    previous = _previous_hold(seed, orders_per_day, marketplace_id, k - 1)
    if previous:
        lines.append(_other("Previous Reserve Amount Balance", previous, info.start))
    for charged in _subscription_days(seed, info.start, info.end):
        lines.append(_other("Subscription Fee", -SUBSCRIPTION[currency], charged))
    current = _hold(sales, info.end)
    if current:
        lines.append(_other("Current Reserve Amount", -current, info.end - timedelta(seconds=1)))
    return tuple(sorted(lines, key=lambda line: line.posted))  # stable: an item's rows stay together


@lru_cache(maxsize=256)
def _sales(seed: int, orders_per_day: int, marketplace_id: str, k: int) -> tuple[Line, ...]:
    info = settlement(seed, marketplace_id, k)
    lines: list[Line] = []
    for order in orders_created_between(_Config(seed, orders_per_day), [marketplace_id], info.start, info.end, _LOOKBACK_DAYS):
        shipped, refunded = order.event_time(SHIPPED), order.event_time(REFUNDED)
        if shipped and info.start <= shipped < info.end:
            lines += _order_lines(order, shipped)
        if refunded and info.start <= refunded < info.end:
            lines += _refund_lines(order, refunded)
    return tuple(sorted(lines, key=lambda line: line.posted))


@lru_cache(maxsize=256)
def _previous_hold(seed: int, orders_per_day: int, marketplace_id: str, k: int) -> Decimal:
    """_hold of period k from the orders shipped in its reserve window alone: the same sum as over all of _sales(k),
    whose 4 weeks of orders (the period and its lookback) a download of period k + 1 would otherwise generate and book
    just for this one amount."""
    info = settlement(seed, marketplace_id, k)
    window = info.end - RESERVE_WINDOW
    lines: list[Line] = []
    for order in orders_created_between(_Config(seed, orders_per_day), [marketplace_id], window, info.end, _SHIP_LOOKBACK_DAYS):
        shipped = order.event_time(SHIPPED)
        if shipped and max(info.start, window) <= shipped < info.end:
            lines += _order_lines(order, shipped)
    return _hold(tuple(lines), info.end)


def _order_lines(order: Order, shipped: datetime) -> list[Line]:
    common = dict(order_id=order.order_id, shipment_id=_shipment_id(order), marketplace_name=order.marketplace_name,
                  fulfillment_id="AFN" if order.afn else "MFN", posted=shipped)
    out = []
    for item in order.standing_items:
        row = dict(common, order_item_code=item.order_item_id, sku=item.product.sku, quantity=str(item.quantity))
        s = item.shown(item.tax_included)
        amounts = [("ItemPrice", "Principal", s.item), ("ItemPrice", "Shipping", s.shipping), ("ItemPrice", "GiftWrap", s.gift_wrap)]
        if not item.tax_included:
            amounts += [
                ("ItemPrice", "Tax", s.item_tax),
                ("ItemPrice", "ShippingTax", s.shipping_tax),
                ("ItemPrice", "GiftWrapTax", s.gift_wrap_tax),
                ("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", -s.item_tax),
                ("ItemWithheldTax", "MarketplaceFacilitatorTax-Shipping", -s.shipping_tax),
                ("ItemWithheldTax", "MarketplaceFacilitatorTax-Giftwrap", -s.gift_wrap_tax),
            ]
        amounts.append(("ItemFees", "Commission", -_commission(s.item + s.shipping + s.gift_wrap - s.discount)))
        if order.afn:
            amounts.append(("ItemFees", "FBAPerUnitFulfillmentFee", -item.product.fba_fee(order.currency) * item.quantity))
        out += [Line("Order", kind, what, amount, **row) for kind, what, amount in amounts if amount]
        if s.item_promotion:
            out.append(Line("Order", "Promotion", "Principal", -s.item_promotion, **row, promotion_id=item.promotion_id or ""))
        if s.ship_promotion:
            out.append(Line("Order", "Promotion", "Shipping", -s.ship_promotion, **row, promotion_id=item.ship_promotion_id or ""))
    return out


def _refund_lines(order: Order, refunded: datetime) -> list[Line]:
    item: Item = order.items[order.refund_item]
    s = item.shown(item.tax_included)
    commission = _commission(s.item - s.item_promotion)
    admin_fee = min(Decimal("5.00"), (commission * Decimal("0.20")).quantize(CENT, ROUND_HALF_UP))
    row = dict(order_id=order.order_id, adjustment_id=_digits(f"adjustment:{order.order_id}", 11),
               marketplace_name=order.marketplace_name, fulfillment_id="AFN" if order.afn else "MFN",
               posted=refunded, order_item_code=item.order_item_id, sku=item.product.sku)
    amounts = [("ItemPrice", "Principal", -s.item)]
    if not item.tax_included:
        amounts += [("ItemPrice", "Tax", -s.item_tax), ("ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", s.item_tax)]
    amounts += [("ItemFees", "Commission", commission), ("ItemFees", "RefundCommission", -admin_fee)]
    out = [Line("Refund", kind, what, amount, **row) for kind, what, amount in amounts if amount]
    if s.item_promotion:
        out.append(Line("Refund", "Promotion", "Principal", s.item_promotion, **row, promotion_id=item.promotion_id or ""))
    return out


def _hold(sales: tuple[Line, ...], end: datetime) -> Decimal:
    held = sum((line.amount for line in sales if line.transaction_type == "Order" and line.posted >= end - RESERVE_WINDOW), Decimal("0"))
    return max(held, Decimal("0"))


def _subscription_days(seed: int, start: datetime, end: datetime) -> list[datetime]:
    """The monthly Pro-plan charges (same day of month for a seller) falling in [start, end)."""
    day = random.Random(f"subscription:{seed}").randint(1, 28)
    out, year, month = [], start.year, start.month
    while True:
        charged = datetime(year, month, day, 7, 30, tzinfo=timezone.utc)
        if charged >= end:
            return out
        if charged >= start:
            out.append(charged)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _other(description: str, amount: Decimal, posted: datetime) -> Line:
    return Line("other-transaction", "other-transaction", description, amount, posted)


def _commission(base: Decimal) -> Decimal:
    return max(MIN_REFERRAL, (base * REFERRAL_RATE).quantize(CENT, ROUND_HALF_UP))


def _shipment_id(order: Order) -> str:
    rng = random.Random(f"shipment:{order.order_id}")
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(9))


def _digits(key: str, n: int) -> str:
    return str(int(hashlib.sha256(key.encode()).hexdigest(), 16))[:n]
