"""Amazon orders as a pure function of (seed, orders_per_day, marketplace, UTC day).

Nothing is stored: every API (Orders v2026 and v0, order reports, settlements, the truth endpoint)
regenerates the same day from the same seed, so they can never disagree. An order carries a
timeline of events; what an API shows is the order "as of now" (the latest event at or before now):

    PENDING at createdTime -> UNSHIPPED 10-60 min later -> SHIPPED 1-3 days after creation
    about 5 % are CANCELLED within the first day instead (from PENDING or UNSHIPPED)
    about 3 % of shipped orders are REFUNDED 3-10 days after shipping: the status stays SHIPPED,
    lastUpdatedTime moves, and the refund appears in the settlement covering that time.
    about 10 % of the orders with several items that are not cancelled lose one item (never the first) when
    they become UNSHIPPED (the seller cancels it, no inventory): the order stands, the item counts nowhere.
    US orders that carry a delivery tip have it PENDING until TIP_FINALIZED, 2 days after shipping (an order
    change: lastUpdatedTime moves, as with Amazon's ORDER_CHANGE DeliveryTipChange).

Orders created after now are invisible. Order ids are 3-7-7 digits, "PPP-DDDDDHH-NNNNNNN": PPP names
the marketplace and DDDDD the UTC day (days since 2000-01-01), so finding an order regenerates one day.

Money (all Decimal, per item; the order sums its items and adds its tip). Each amount is drawn before tax
(EU/UK: the shelf price with its VAT taken out, to the cent) and its tax is computed on it, so both of Amazon's
ways of showing an order are exact: `Item.shown(True)` has the tax inside every price (the order report and v0 in
VAT marketplaces), `Item.shown(False)` adds it (the US and Canada everywhere, and Orders API v2026 proceeds:
amazon/marketplaces.csv prices_include_tax / proceeds_include_tax say which API shows which).
    unit_net        price per unit before tax; item = unit x quantity
    shipping_net    charged to the buyer (attributed to the first item)
    gift_wrap_net   gift wrap on one item of about 4 % of the orders
    promotion_net, ship_promotion_net  positive amounts taken off the item (about 8 % of items) and off its
                    shipping (a free-shipping promotion on about a third of the orders that charge shipping)
    item_tax, shipping_tax, gift_wrap_tax  tax on what is charged: tax(item) - tax(promotion), and so on
    tip             delivery tip, order level (US only, about 3 % of its orders: Amazon's only tip example is an
                    Amazon.com order, and no marketplace is documented to have them)
    COD fees: none. Amazon documents cash on delivery for JP only (v0 model: "The COD collection method (only
    supported in the JP marketplace)"; CODFee in its JPY getOrderItems example), and the sandbox does not sell in JP.
    `Item.paid` / `Order.paid` is what the buyer paid in every case (a cancelled item: 0).
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from ..config import MARKETPLACES
from .buyers import Buyer, buyer
from .catalog import CENT, Product, catalogue

EPOCH = date(2000, 1, 1)
# Marketplace -> the 3-digit order-id prefix Amazon uses there (one of several real ones).
ORDER_PREFIX = {m: market.order_prefix for m, market in MARKETPLACES.items()}
_PREFIX_TO_MARKETPLACE = {v: k for k, v in ORDER_PREFIX.items()}
_ORDER_ID = re.compile(r"^(\d{3})-(\d{5})\d{2}-(\d{7})$")
_MARKETPLACE_DIGIT = {m: str(i) for i, m in enumerate(ORDER_PREFIX)}
_PERMUTE = 7_654_321  # coprime with 10**7, so index -> 7-digit suffix is a bijection (no duplicate ids)

PENDING, UNSHIPPED, SHIPPED, CANCELLED, REFUNDED = "PENDING", "UNSHIPPED", "SHIPPED", "CANCELLED", "REFUNDED"
TIP_FINALIZED = "TIP_FINALIZED"
# Events that change an order without changing its status.
_CHANGES = (REFUNDED, TIP_FINALIZED)
ZERO = Decimal("0.00")
# The weights of the draws below, given cumulated: random.choices accumulates `weights` into `cum_weights` on every
# call (its docs: "the weights are converted to cumulative weights internally"), which a day of orders repeats
# hundreds of thousands of times. The same draws: weights 70/22/8 items, 80/15/5 quantity, 70/30 and 85/15 levels.
_ITEMS_CUM = (70, 92, 100)
_QUANTITY_CUM = (80, 95, 100)
_AFN_LEVEL_CUM = (70, 100)
_MFN_LEVEL_CUM = (85, 100)


@dataclass(frozen=True)
class Shown:
    """One item's money as an API shows it: `included` says whether the tax is inside the prices."""

    included: bool
    unit_price: Decimal
    item: Decimal
    shipping: Decimal
    gift_wrap: Decimal
    item_promotion: Decimal  # positive
    ship_promotion: Decimal  # positive
    item_tax: Decimal  # on what is charged for the item (its promotion's tax taken off)
    shipping_tax: Decimal
    gift_wrap_tax: Decimal
    # The tax split as Orders API v2026 details it (TAX detailedBreakdowns ITEM, SHIPPING, GIFT_WRAP, DISCOUNT):
    tax_on_item: Decimal
    tax_on_shipping: Decimal
    tax_on_discounts: Decimal  # negative

    @property
    def tax(self) -> Decimal:
        return self.item_tax + self.shipping_tax + self.gift_wrap_tax

    @property
    def discount(self) -> Decimal:
        return self.item_promotion + self.ship_promotion

    @property
    def paid(self) -> Decimal:
        gross = self.item + self.shipping + self.gift_wrap - self.discount
        return gross if self.included else gross + self.tax


@dataclass(frozen=True)
class Item:
    order_item_id: str
    product: Product
    quantity: int
    unit_net: Decimal
    shipping_net: Decimal
    promotion_net: Decimal
    promotion_id: str | None
    rate: Decimal
    tax_included: bool  # the marketplace's prices include tax (how the order report shows them)
    gift_wrap_net: Decimal = ZERO
    ship_promotion_net: Decimal = ZERO
    ship_promotion_id: str | None = None
    cancelled: bool = False  # cancelled inside its order when the order became UNSHIPPED

    @property
    def item_net(self) -> Decimal:
        return self.unit_net * self.quantity

    @property
    def item_tax(self) -> Decimal:
        return _tax(self.item_net, self.rate) - _tax(self.promotion_net, self.rate)

    @property
    def shipping_tax(self) -> Decimal:
        return _tax(self.shipping_net, self.rate) - _tax(self.ship_promotion_net, self.rate)

    @property
    def gift_wrap_tax(self) -> Decimal:
        return _tax(self.gift_wrap_net, self.rate)

    @property
    def promotion_ids(self) -> list[str]:
        return [p for p in (self.promotion_id, self.ship_promotion_id) if p]

    def shown(self, included: bool) -> Shown:
        """The item's amounts with the tax inside every price (included) or before tax."""
        # Each of the five amounts' tax once (the properties above would round 9 to 14 times): every order report
        # line, settlement booking and getOrder item calls this.
        net = (self.item_net, self.shipping_net, self.gift_wrap_net, self.promotion_net, self.ship_promotion_net)
        on_item, on_shipping, on_gift_wrap, on_promotion, on_ship_promotion = taxes = [_tax(v, self.rate) for v in net]
        item, shipping, gift_wrap, item_promotion, ship_promotion = [v + t for v, t in zip(net, taxes)] if included else net
        unit = (item / self.quantity).quantize(CENT, ROUND_HALF_UP) if included else self.unit_net
        return Shown(
            included, unit, item, shipping, gift_wrap, item_promotion, ship_promotion,
            item_tax=on_item - on_promotion, shipping_tax=on_shipping - on_ship_promotion, gift_wrap_tax=on_gift_wrap,
            tax_on_item=on_item, tax_on_shipping=on_shipping, tax_on_discounts=-(on_promotion + on_ship_promotion),
        )

    @property
    def paid(self) -> Decimal:
        return ZERO if self.cancelled else self.shown(False).paid


@dataclass(frozen=True)
class Order:
    seed: int
    order_id: str
    marketplace_id: str
    created: datetime
    fulfilled_by: str  # "AMAZON" (AFN, FBA) or "MERCHANT" (MFN)
    service_level: str
    buyer_index: int
    items: tuple[Item, ...]
    events: tuple[tuple[datetime, str], ...]  # time-ordered, first is (created, PENDING)
    refund_item: int = 0  # which item a REFUNDED event refunds in full (principal and tax, not shipping)
    cancel_requester: str = "BUYER"
    tip: Decimal = ZERO  # delivery tip, order level (PENDING until the TIP_FINALIZED event)

    @property
    def currency(self) -> str:
        return MARKETPLACES[self.marketplace_id].currency

    @property
    def country(self) -> str:
        return MARKETPLACES[self.marketplace_id].country

    @property
    def marketplace_name(self) -> str:
        return MARKETPLACES[self.marketplace_id].sales_channel

    @property
    def afn(self) -> bool:
        return self.fulfilled_by == "AMAZON"

    @property
    def buyer(self) -> Buyer:
        return buyer(self.seed, self.marketplace_id, self.buyer_index)

    @property
    def paid(self) -> Decimal:
        return sum((i.paid for i in self.items), self.tip)

    @property
    def standing_items(self) -> tuple[Item, ...]:
        """The items that count: all but one cancelled inside the order."""
        return tuple(i for i in self.items if not i.cancelled)

    def tip_status(self, now: datetime) -> str:
        finalized = self.event_time(TIP_FINALIZED)
        return "FINALIZED" if finalized is not None and finalized <= now else "PENDING"

    def event_time(self, kind: str) -> datetime | None:
        return next((t for t, k in self.events if k == kind), None)

    def as_of(self, now: datetime) -> tuple[str, datetime] | None:
        """(status, lastUpdatedTime) as Amazon shows the order at `now`; None if not yet created."""
        if self.created > now:
            return None
        status, last = PENDING, self.created
        for t, kind in self.events:
            if t > now:
                break
            last = t
            if kind not in _CHANGES:
                status = kind
        return status, last


def marketplace_day_seed(seed: int, marketplace_id: str, day: date) -> str:
    return f"orders:{seed}:{marketplace_id}:{day.isoformat()}"


def orders_for_day(config, marketplace_id: str, day: date) -> tuple[Order, ...]:
    """All orders of one marketplace created on one UTC day, sorted by (createdTime, orderId)."""
    return _day(config.seed, config.orders_per_day, marketplace_id, day.toordinal())


def find_order(config, order_id: str) -> Order | None:
    m = _ORDER_ID.match(order_id or "")
    if not m:
        return None
    marketplace_id = _PREFIX_TO_MARKETPLACE.get(m.group(1))
    if marketplace_id not in config.marketplaces:
        return None
    day = EPOCH + timedelta(days=int(m.group(2)))
    return _day_index(config.seed, config.orders_per_day, marketplace_id, day.toordinal()).get(order_id)


def orders_created_between(config, marketplace_ids, start: datetime, end: datetime, lookback_days: int = 0) -> Iterator[Order]:
    """Orders whose createdTime lies in [start - lookback_days, end]; callers filter further."""
    first = (start - timedelta(days=lookback_days)).date()
    last = end.date()
    for marketplace_id in marketplace_ids:
        day = first
        while day <= last:
            yield from orders_for_day(config, marketplace_id, day)
            day += timedelta(days=1)


# ---- generation ------------------------------------------------------------------------------

@lru_cache(maxsize=512)
def _day_index(seed: int, orders_per_day: int, marketplace_id: str, ordinal: int) -> dict[str, Order]:
    """One day's orders by id: getOrder is called once per merchant-fulfilled order of a backfill (tens of thousands
    a day at 10,000 orders a day), and scanning the day's few thousand orders for each cost more than answering."""
    return {o.order_id: o for o in _day(seed, orders_per_day, marketplace_id, ordinal)}


@lru_cache(maxsize=512)
def _day(seed: int, orders_per_day: int, marketplace_id: str, ordinal: int) -> tuple[Order, ...]:
    day = date.fromordinal(ordinal)
    rng = random.Random(marketplace_day_seed(seed, marketplace_id, day))
    count = max(0, round(orders_per_day * rng.uniform(0.8, 1.2)))
    midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    seconds = sorted(rng.randrange(86_400) for _ in range(count))
    days_since_epoch = (day - EPOCH).days
    offset = rng.randrange(10_000_000)
    products = catalogue(seed)
    # Repeat buyers: a pool of about a month of orders, drawn with a power skew towards low indexes.
    pool = max(20, orders_per_day * 30)
    orders = []
    for i, sec in enumerate(seconds):
        suffix = (i * _PERMUTE + offset) % 10_000_000
        order_id = f"{ORDER_PREFIX[marketplace_id]}-{days_since_epoch:05d}{rng.randrange(100):02d}-{suffix:07d}"
        created = midnight + timedelta(seconds=sec)
        orders.append(_order(rng, seed, marketplace_id, order_id, created, products, int(pool * rng.random() ** 2.5)))
    return tuple(sorted(orders, key=lambda o: (o.created, o.order_id)))


def _order(rng: random.Random, seed, marketplace_id, order_id, created, products, buyer_index) -> Order:
    market = MARKETPLACES[marketplace_id]
    country, currency = market.country, market.currency
    afn = rng.random() < 0.6
    n_items = rng.choices((1, 2, 3), cum_weights=_ITEMS_CUM)[0]
    chosen: list[Product] = rng.sample(products, n_items)
    shipping = Decimal("0.00") if afn or rng.random() < 0.6 else Decimal(rng.choice(("2.99", "3.99", "4.99")))
    rate, included = market.tax_rate, market.prices_include_tax
    items = []
    for n, product in enumerate(chosen):
        quantity = rng.choices((1, 2, 3), cum_weights=_QUANTITY_CUM)[0]
        unit = _net(product.price(currency), rate, included)
        ship = _net(shipping, rate, included) if n == 0 else Decimal("0.00")
        promo, promo_id = Decimal("0.00"), None
        if rng.random() < 0.08:
            promo = (unit * quantity * Decimal(rng.choice(("0.05", "0.10", "0.15")))).quantize(CENT, ROUND_HALF_UP)
            promo_id = f"PLM-{country}-" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(10))
        # day (5) + marketplace (1) + order suffix (7) + line (1) = 14 digits, unique per seller
        item_id = f"{order_id[4:9]}{_MARKETPLACE_DIGIT[marketplace_id]}{order_id[-7:]}{n + 1}"
        items.append(Item(item_id, product, quantity, unit, ship, promo, promo_id, rate, included))
    events = [(created, PENDING)]
    unshipped = created + timedelta(seconds=rng.randint(600, 3600))
    requester = "BUYER"
    if rng.random() < 0.05:
        cancelled = created + timedelta(seconds=rng.randint(1800, 86_000))
        if unshipped < cancelled:
            events.append((unshipped, UNSHIPPED))
        events.append((cancelled, CANCELLED))
        requester = rng.choice(("BUYER", "SELLER"))
    else:
        shipped = created + timedelta(seconds=rng.randint(86_400, 3 * 86_400))
        events += [(unshipped, UNSHIPPED), (shipped, SHIPPED)]
        if rng.random() < 0.03:
            events.append((shipped + timedelta(seconds=rng.randint(3 * 86_400, 10 * 86_400)), REFUNDED))
    if afn:
        level = rng.choices(("STANDARD", "NEXT_DAY"), cum_weights=_AFN_LEVEL_CUM)[0]
    else:
        level = rng.choices(("STANDARD", "EXPEDITED"), cum_weights=_MFN_LEVEL_CUM)[0]
    refund_item = rng.randrange(len(items))
    # What the first draws leave alone: gift wrap, shipping promotions, an item cancelled inside its order and tips
    # come from a generator of their own, so adding them kept every order's ids, items, prices and timeline.
    extra = random.Random(f"extras:{seed}:{order_id}")
    wrapped = extra.randrange(len(items)) if extra.random() < 0.04 else None
    if wrapped is not None:
        items[wrapped] = replace(items[wrapped], gift_wrap_net=_net(Decimal(extra.choice(("2.99", "3.99", "4.99"))), rate, included))
    if items[0].shipping_net and extra.random() < 0.35:
        code = "".join(extra.choice(string.ascii_uppercase + string.digits) for _ in range(8))
        items[0] = replace(items[0], ship_promotion_net=items[0].shipping_net, ship_promotion_id=f"FREESHIP-{country}-{code}")
    stands = all(kind != CANCELLED for _, kind in events)
    if len(items) > 1 and stands and extra.random() < 0.10:
        gone = extra.randrange(1, len(items))  # the first item (with the order's shipping) stays
        items[gone] = replace(items[gone], cancelled=True)
        refund_item = 0 if refund_item == gone else refund_item
    tip = ZERO
    if country == "US" and stands and extra.random() < 0.03:
        tip = Decimal(extra.choice(("2.00", "3.00", "5.00")))
        shipped_at = next(t for t, kind in events if kind == SHIPPED)
        events = sorted([*events, (shipped_at + timedelta(days=2), TIP_FINALIZED)])
    return Order(seed, order_id, marketplace_id, created, "AMAZON" if afn else "MERCHANT", level, buyer_index,
                 tuple(items), tuple(events), refund_item, requester, tip)


def _net(price: Decimal, rate: Decimal, included: bool) -> Decimal:
    """A price before tax: as drawn where tax is added (US/CA), its VAT taken out to the cent elsewhere."""
    return (price / (1 + rate)).quantize(CENT, ROUND_HALF_UP) if included else price


def _tax(net: Decimal, rate: Decimal) -> Decimal:
    """Tax on an amount before tax, to the cent."""
    return (net * rate).quantize(CENT, ROUND_HALF_UP)
