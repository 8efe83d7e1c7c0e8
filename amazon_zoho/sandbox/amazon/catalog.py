"""The seller's product catalogue: about 40 SKUs with ASINs, titles and a shelf price per currency.

Prices are what the shopper sees on the product page: in the EU and UK they include VAT, in the US and
Canada sales tax is added at checkout (tax rates: sandbox/config.py). The catalogue depends only on the seed.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from ..config import CURRENCIES

CENT = Decimal("0.01")

# Why hand-written titles: the order report is cp1252, and non-ASCII titles ("Küchenwaage", "Théière")
# exercise the charset path end to end. All characters here exist in cp1252.
_TITLES = (
    "Küchenwaage Edelstahl",
    "Théière en fonte 1,2 L",
    "Stainless Steel Water Bottle 750ml",
    "Bamboo Cutting Board Set (3 pcs)",
    "Kaffeemühle manuell – Keramikmahlwerk",
    "Ceramic Pour-Over Coffee Dripper",
    "Silicone Baking Mat, 2-Pack",
    "Moulin à poivre électrique",
    "Gusseisenpfanne 28 cm",
    "Espresso Tamper 51mm",
    "Tasse à café en grès (lot de 4)",
    "Glass Food Storage Containers, 10 Set",
    "Schneebesen Edelstahl 30 cm",
    "Digital Meat Thermometer",
    "Couteau de chef 20 cm – acier japonais",
    "Milchaufschäumer elektrisch",
    "Reusable Beeswax Food Wraps",
    "Salad Spinner with Brake",
    "Planche à découper en hêtre",
    "Teekanne Glas mit Sieb",
    "Cast Iron Dutch Oven 5.5 qt",
    "Knife Sharpener 3-Stage",
    "Spätzlehobel mit Schieber",
    "Crème brûlée Ramekins (6)",
    "Measuring Cups and Spoons Set",
    "Brotdose Edelstahl auslaufsicher",
    "Cafetière à piston 1 L",
    "Herb Scissors with 5 Blades",
    "Eiswürfelform Silikon (2er Pack)",
    "Nonstick Frying Pan 24cm",
    "Mandoline Slicer Adjustable",
    "Verres à vin sans pied (lot de 6)",
    "Wasserkocher Glas 1,7 L",
    "Pizza Stone 38cm with Peel",
    "Saladier en céramique émaillée",
    "Garlic Press Stainless Steel",
    "Rührschüssel-Set mit Deckel",
    "Oil Mister Sprayer 200ml",
    "Dessous de plat en liège",
    "Vacuum Sealer Bags 100 pcs",
)

# Shelf price in EUR is drawn once; other currencies follow by a fixed factor and psychological rounding.
_FX = {currency: factor for currency, (factor, _subscription) in CURRENCIES.items()}


@dataclass(frozen=True)
class Product:
    sku: str
    asin: str
    title: str
    prices: dict  # currency -> Decimal shelf price per unit
    fba_fee_eur: Decimal  # FBA per-unit fulfilment fee in EUR (size tier), converted like prices

    def price(self, currency: str) -> Decimal:
        return self.prices[currency]

    def fba_fee(self, currency: str) -> Decimal:
        return (self.fba_fee_eur * _FX[currency]).quantize(CENT, ROUND_HALF_UP)


def _charm(amount: Decimal) -> Decimal:
    """Shelf prices end in .99 or .49, like real listings."""
    whole = int(amount)
    return Decimal(whole) + (Decimal("0.99") if amount - whole >= Decimal("0.5") or whole == 0 else Decimal("0.49"))


def _asin(rng: random.Random) -> str:
    return "B0" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(8))


@lru_cache(maxsize=16)
def catalogue(seed: int) -> tuple[Product, ...]:
    rng = random.Random(f"catalogue:{seed}")
    products = []
    for i, title in enumerate(_TITLES):
        eur = Decimal(str(round(rng.uniform(6, 120), 2)))
        prices = {cur: _charm(eur * fx) for cur, fx in _FX.items()}
        fee = Decimal(str(rng.choice(["2.70", "3.05", "3.41", "4.12", "5.36"])))
        products.append(Product(f"SKU-{1000 + i * 7}-{rng.choice('ABCDEFGH')}", _asin(rng), title, prices, fee))
    return tuple(products)
