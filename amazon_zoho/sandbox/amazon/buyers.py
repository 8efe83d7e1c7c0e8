"""Buyers per marketplace: names and delivery addresses in the marketplace's locale, and Amazon's
anonymised relay e-mail address.

A buyer is a pure function of (seed, marketplace, index), made on first use and cached, so the pool
never has to be generated up front and stays the same whatever the order volume. Orders draw buyer
indexes with a skew (see datagen), which gives a few buyers many orders, like real repeat customers.
"""

from __future__ import annotations

import random
import string
import threading
from dataclasses import dataclass
from functools import lru_cache

from faker import Faker

from ..config import MARKETPLACES

# One Faker per locale: instantiating Faker costs tens of milliseconds, generating a name microseconds.
_fakers: dict[str, Faker] = {}
_lock = threading.Lock()  # seed_instance + generation must not interleave between server threads


@dataclass(frozen=True, slots=True)  # slots: up to 300,000 of them stay cached (buyer below)
class Buyer:
    buyer_id: str
    name: str
    email: str  # relay address; Amazon exposes it only for merchant-fulfilled orders
    company: str | None
    address_line1: str
    city: str
    state_or_region: str | None
    postal_code: str
    country_code: str
    phone: str


def _faker(locale: str) -> Faker:
    if locale not in _fakers:
        _fakers[locale] = Faker(locale)
    return _fakers[locale]


def _region(fake: Faker, country: str) -> str | None:
    if country == "US":
        return fake.state_abbr()
    if country == "CA":
        return fake.province_abbr()
    if country == "DE":
        return fake.state()
    if country == "FR":
        return fake.region()
    return None  # UK addresses rarely carry a region


# Sized to hold a whole pool at 10,000 orders a day (datagen: 30 days of orders per marketplace, 3 marketplaces):
# with 50,000 a 14-day order report at that volume (~90,000 distinct buyers) evicted buyers before their next
# order, and re-making one costs about half a millisecond of Faker. A buyer is about 0.8 KB.
@lru_cache(maxsize=300_000)
def buyer(seed: int, marketplace_id: str, index: int) -> Buyer:
    market = MARKETPLACES[marketplace_id]
    country = market.country
    rng = random.Random(f"buyer:{seed}:{marketplace_id}:{index}")
    local = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(15))
    with _lock:
        fake = _faker(market.locale)
        fake.seed_instance(rng.getrandbits(32))
        name = fake.name()
        company = fake.company() if rng.random() < 0.05 else None
        line1 = fake.street_address()
        city = fake.city()
        region = _region(fake, country)
        postcode = fake.postcode()
        phone = fake.phone_number()
    return Buyer(
        buyer_id=f"{marketplace_id}-{index}",
        name=name,
        email=f"{local}@marketplace.{market.sales_channel.lower()}",  # Amazon.co.uk -> marketplace.amazon.co.uk
        company=company,
        address_line1=line1,
        city=city,
        state_or_region=region,
        postal_code=postcode,
        country_code=country,
        phone=phone,
    )
