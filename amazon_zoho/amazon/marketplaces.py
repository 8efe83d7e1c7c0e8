"""Amazon's marketplaces, read from marketplaces.csv beside this file: the one place for their facts.

Add a marketplace by adding a row to marketplaces.csv. From it come settings.MARKETPLACE_REGIONS (which ids
AMAZON_MARKETPLACE_IDS accepts, and their SP-API region), the rows of core.marketplaces (seeded by the
warehouse resource: currency, tax convention, settlement number and date formats) and the sandbox's
marketplaces; amazon_zoho_tests/amazon/test_marketplaces.py checks every other consumer against it.
The file says where each column comes from (Amazon's "Marketplace IDs" table,
https://developer-docs.amazon.com/sp-api/docs/marketplace-ids, and the rest).

Imports nothing of the project's, so settings.py can import it.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

TABLE = Path(__file__).with_name("marketplaces.csv")
# SP-API regions: https://sellingpartnerapi-<region>.amazon.com (amazon/resource.py REGION_ENDPOINTS).
REGIONS = ("na", "eu", "fe")


class MarketplaceTableError(ValueError):
    """marketplaces.csv is malformed; the message names the file, the line and what is wrong."""


@dataclass(frozen=True)
class Marketplace:
    marketplace_id: str  # e.g. A1PA6795UKMFR9
    country_code: str  # ISO 3166-1 alpha-2 (GB, where Amazon's table writes UK)
    region: str  # na, eu or fe
    sales_channel: str  # e.g. Amazon.de, as salesChannel.marketplaceName and the reports write it
    currency: str  # ISO 4217
    prices_include_tax: bool  # the order report's item/shipping/gift-wrap prices contain their tax (not in the US and Canada)
    proceeds_include_tax: bool  # Orders API v2026 ITEM/SHIPPING/... breakdowns contain the TAX breakdown (false everywhere)
    decimal_comma: bool  # settlement files write 95,00
    posted_date_format: str  # strftime of the settlement file's local posted-date column
    time_zone: str  # IANA zone of the marketplace's calendar, e.g. Europe/Paris


COLUMNS = tuple(f.name for f in dataclasses.fields(Marketplace))
_BOOLEANS = {"true": True, "false": False}
_PATTERNS = {
    "marketplace_id": re.compile(r"A[0-9A-Z]{8,15}"),
    "country_code": re.compile(r"[A-Z]{2}"),
    "currency": re.compile(r"[A-Z]{3}"),
    "sales_channel": re.compile(r"\S+"),
}


@cache
def load(path: Path | str = TABLE) -> tuple[Marketplace, ...]:
    """The rows of the table at `path` (default: marketplaces.csv), validated; MarketplaceTableError if not."""
    path = Path(path)
    numbered = [(n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise MarketplaceTableError(f"{path}: no header line")
    rows = list(csv.reader(line for _, line in numbered))
    if tuple(rows[0]) != COLUMNS:
        raise MarketplaceTableError(f"{path}:{numbered[0][0]}: the header must be {','.join(COLUMNS)}")
    marketplaces: list[Marketplace] = []
    seen: dict[str, int] = {}
    for (n, _), cells in zip(numbered[1:], rows[1:]):
        where = f"{path}:{n}"
        if len(cells) != len(COLUMNS):
            raise MarketplaceTableError(f"{where}: {len(cells)} cells, expected {len(COLUMNS)} ({','.join(COLUMNS)})")
        row = dict(zip(COLUMNS, (c.strip() for c in cells)))
        for name, pattern in _PATTERNS.items():
            if not pattern.fullmatch(row[name]):
                raise MarketplaceTableError(f"{where}: {name} {row[name]!r} does not look like one (e.g. {_EXAMPLE[name]})")
        if row["region"] not in REGIONS:
            raise MarketplaceTableError(f"{where}: region {row['region']!r} is not one of {', '.join(REGIONS)}")
        for name in ("prices_include_tax", "proceeds_include_tax", "decimal_comma"):
            if row[name] not in _BOOLEANS:
                raise MarketplaceTableError(f"{where}: {name} {row[name]!r} must be true or false")
            row[name] = _BOOLEANS[row[name]]
        if not _known_zone(row["time_zone"]):
            raise MarketplaceTableError(f"{where}: time_zone {row['time_zone']!r} is not an IANA time zone like Europe/Paris")
        if not _round_trips(row["posted_date_format"]):
            raise MarketplaceTableError(f"{where}: posted_date_format {row['posted_date_format']!r} is not a strftime date format like %d.%m.%Y")
        # Ids and names identify a marketplace (the order report names it only by its sales channel).
        for key in (row["marketplace_id"], row["sales_channel"].lower()):
            if key in seen:
                raise MarketplaceTableError(f"{where}: {key} is already on line {seen[key]}")
            seen[key] = n
        marketplaces.append(Marketplace(**row))
    return tuple(marketplaces)


_EXAMPLE = {"marketplace_id": "A1PA6795UKMFR9", "country_code": "DE", "currency": "EUR", "sales_channel": "Amazon.de"}


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True


def _round_trips(fmt: str) -> bool:
    day = date(2026, 12, 31)
    try:
        return datetime.strptime(day.strftime(fmt), fmt).date() == day
    except ValueError:
        return False


def by_id(path: Path | str = TABLE) -> Mapping[str, Marketplace]:
    return MappingProxyType({m.marketplace_id: m for m in load(path)})


def regions(path: Path | str = TABLE) -> dict[str, str]:
    """marketplace id -> SP-API region (na, eu or fe): settings.MARKETPLACE_REGIONS."""
    return {m.marketplace_id: m.region for m in load(path)}


MARKETPLACES = load()
BY_ID = by_id()
