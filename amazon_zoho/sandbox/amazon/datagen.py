"""Amazon orders as a pure function of (seed, orders_per_day, marketplace, UTC day).

Nothing is stored: every API (Orders v2026 and v0, order reports, settlements, the truth endpoint)
regenerates the same day from the same seed, so they can never disagree. An order carries a
timeline of events; what an API shows is the order "as of now" (the latest event at or before now):

    PENDING at createdTime -> UNSHIPPED 10-60 min later -> SHIPPED 1-3 days after creation
    about 5 % are CANCELLED within the first day instead (from PENDING or UNSHIPPED)
    about 3 % of shipped orders are REFUNDED 3-10 days after shipping: the status stays SHIPPED,
    lastUpdatedTime moves, and the refund appears in the settlement covering that time.

Orders created after now are invisible. Order ids are 3-7-7 digits, "PPP-DDDDDHH-NNNNNNN": PPP names
the marketplace and DDDDD the UTC day (days since 2000-01-01), so finding an order regenerates one day.

Money (all Decimal, per item; the order sums its items):
    unit_price      shelf price per unit; item_price = unit_price x quantity
    shipping_price  charged to the buyer (attributed to the first item)
    promotion_discount  positive amount taken off the item
    item_tax, shipping_tax  tax amounts. EU/UK: VAT contained in the prices (the buyer pays
                    item_price + shipping_price - promotion_discount). US/CA: sales tax added on top.
    `Item.paid` / `Order.paid` is what the buyer paid in every case.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Item:
    order_item_id: str
    product: Product
    quantity: int
    unit_price: Decimal
    shipping_price: Decimal
    promotion_discount: Decimal
    promotion_id: str | None
    item_tax: Decimal
    shipping_tax: Decimal
    tax_included: bool

    @property
    def item_price(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def paid(self) -> Decimal:
        gross = self.item_price + self.shipping_price - self.promotion_discount
        return gross if self.tax_included else gross + self.item_tax + self.shipping_tax


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
        return sum((i.paid for i in self.items), Decimal("0"))

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
            if kind != REFUNDED:
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
    return next((o for o in orders_for_day(config, marketplace_id, day) if o.order_id == order_id), None)


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
    n_items = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
    chosen: list[Product] = rng.sample(products, n_items)
    shipping = Decimal("0.00") if afn or rng.random() < 0.6 else Decimal(rng.choice(("2.99", "3.99", "4.99")))
    rate, included = market.tax_rate, market.prices_include_tax
    items = []
    for n, product in enumerate(chosen):
        quantity = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
        unit = product.price(currency)
        ship = shipping if n == 0 else Decimal("0.00")
        promo, promo_id = Decimal("0.00"), None
        if rng.random() < 0.08:
            promo = (unit * quantity * Decimal(rng.choice(("0.05", "0.10", "0.15")))).quantize(CENT, ROUND_HALF_UP)
            promo_id = f"PLM-{country}-" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(10))
        # day (5) + marketplace (1) + order suffix (7) + line (1) = 14 digits, unique per seller
        item_id = f"{order_id[4:9]}{_MARKETPLACE_DIGIT[marketplace_id]}{order_id[-7:]}{n + 1}"
        items.append(
            Item(item_id, product, quantity, unit, ship, promo, promo_id,
                 _tax(unit * quantity - promo, rate, included), _tax(ship, rate, included), included)
        )
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
        level = rng.choices(("STANDARD", "NEXT_DAY"), weights=(70, 30))[0]
    else:
        level = rng.choices(("STANDARD", "EXPEDITED"), weights=(85, 15))[0]
    return Order(seed, order_id, marketplace_id, created, "AMAZON" if afn else "MERCHANT", level, buyer_index,
                 tuple(items), tuple(events), rng.randrange(len(items)), requester)


def _tax(gross: Decimal, rate: Decimal, included: bool) -> Decimal:
    """VAT contained in a gross amount (EU/UK), or sales tax on a net amount (US/CA), to the cent."""
    amount = gross * rate / (1 + rate) if included else gross * rate
    return amount.quantize(CENT, ROUND_HALF_UP)
