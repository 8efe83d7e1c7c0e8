"""Order search shared by Orders v2026-01-01 (searchOrders) and v0 (getOrders): validating the time
window and filters, selecting and sorting orders, and opaque pagination tokens.

The rules are the models' (API-FACTS §2a, §12c): exactly one of created-after / last-updated-after,
no mixing of the Created* and LastUpdated* pairs, *Before >= *After and at least two minutes before
now (defaulting to now - 2 min), marketplace ids at most 50 and ones the seller sells in, page size
1..100 (default 100). Results sort by (createdTime | lastUpdatedTime, orderId).

A pagination token carries the filters it was issued for, the sort position and the snapshot time,
so later pages see the same order states as the first (no duplicates, no gaps), and a token sent with
different filters, or older than 24 hours, is refused.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from .datagen import Order, orders_created_between

MIN_DELAY = timedelta(minutes=2)
TOKEN_TTL = 24 * 3600
# The longest an order keeps changing after creation (ship <= 3 days, refund <= 10 days later).
MAX_ORDER_LIFETIME_DAYS = 14
TOO_RECENT = (
    "The input you have submitted is not valid. Note that the error may be due to a systematic delay in data "
    "retrieval. The most updated data is 2 minutes after an order is created or last updated. If you set the "
    "CreatedBefore or LastUpdatedBefore parameters, please provide a date that is at least 2 minutes before "
    "current time and try again."
)
FULFILLMENT_STATUSES = ("PENDING_AVAILABILITY", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED", "UNFULFILLABLE")


class InvalidInput(Exception):
    """A 400 InvalidInput; `message` and `details` go into the error body."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict:
        return {"errors": [{"code": "InvalidInput", "message": self.message, "details": self.details}]}


@dataclass(frozen=True)
class Search:
    mode: str  # "created" or "updated"
    after: datetime
    before: datetime
    marketplace_ids: tuple[str, ...]
    statuses: frozenset[str] | None  # v2026 FulfillmentStatus values
    fulfilled_by: frozenset[str] | None  # AMAZON / MERCHANT
    page_size: int


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str, name: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidInput("Invalid Input", f"{name} is not a valid ISO 8601 date-time: {value!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)  # ISO 8601 without offset: Amazon reads it as UTC
    return dt.astimezone(timezone.utc)


def parse(
    now: datetime,
    names: dict[str, str],
    created_after: str | None,
    created_before: str | None,
    updated_after: str | None,
    updated_before: str | None,
    marketplace_ids: list[str],
    known_marketplaces: list[str],
    statuses: list[str] | None,
    fulfilled_by: list[str] | None,
    page_size: str | None,
) -> Search:
    """`names` maps created_after/created_before/updated_after/updated_before to the API's parameter names."""
    n = names
    if (created_after is None) == (updated_after is None):
        raise InvalidInput("Invalid Input", f"Exactly one of {n['created_after']} and {n['updated_after']} must be specified.")
    if created_after is not None and updated_before is not None:
        raise InvalidInput("Invalid Input", f"{n['updated_before']} cannot be specified with {n['created_after']}.")
    if updated_after is not None and created_before is not None:
        raise InvalidInput("Invalid Input", f"{n['created_before']} cannot be specified with {n['updated_after']}.")
    mode = "created" if created_after is not None else "updated"
    after_name, before_name = (n["created_after"], n["created_before"]) if mode == "created" else (n["updated_after"], n["updated_before"])
    after = parse_time(created_after if mode == "created" else updated_after, after_name)
    raw_before = created_before if mode == "created" else updated_before
    latest = now - MIN_DELAY
    if raw_before is not None:
        before = parse_time(raw_before, before_name)
        if before > latest:
            raise InvalidInput(TOO_RECENT, f"{before_name} must be at least 2 minutes before the time of the request.")
        if before < after:
            raise InvalidInput("Invalid Input", f"{before_name} must be equal to or after {after_name}.")
    else:
        before = latest
        if after > latest:
            raise InvalidInput(TOO_RECENT, f"{after_name} must be at least 2 minutes before the time of the request.")
    if len(marketplace_ids) > 50:
        raise InvalidInput("Invalid Input", "At most 50 marketplace ids can be specified.")
    unknown = [m for m in marketplace_ids if m not in known_marketplaces]
    if unknown:
        raise InvalidInput("Invalid Input", f"Invalid marketplace id(s) {','.join(unknown)}: the seller does not participate in them.")
    size = 100
    if page_size is not None:
        try:
            size = int(page_size)
        except ValueError:
            size = 0
        if not 1 <= size <= 100:
            raise InvalidInput("Invalid Input", f"{n['page_size']} must be an integer between 1 and 100.")
    return Search(
        mode,
        after,
        before,
        tuple(marketplace_ids or known_marketplaces),
        frozenset(statuses) if statuses else None,
        frozenset(fulfilled_by) if fulfilled_by else None,
        size,
    )


def select(config, search: Search, as_of: datetime) -> list[tuple[tuple[datetime, str], Order, str, datetime]]:
    """[(sort key, order, status, lastUpdatedTime)] matching the search, as the orders stood at `as_of`.

    Every page of one scan shares the first page's snapshot (`as_of` travels in the token), so the
    result is cached: paging through N orders costs O(N) like Amazon's, not O(N^2 / page size).
    """
    return _select(config.seed, config.orders_per_day, search, as_of)


@lru_cache(maxsize=16)
def _select(seed: int, orders_per_day: int, search: Search, as_of: datetime) -> list:
    config = _GenerationKnobs(seed, orders_per_day)
    lookback = 0 if search.mode == "created" else MAX_ORDER_LIFETIME_DAYS
    rows = []
    for order in orders_created_between(config, search.marketplace_ids, search.after, search.before, lookback):
        state = order.as_of(as_of)
        if state is None:
            continue
        status, last = state
        when = order.created if search.mode == "created" else last
        if not search.after <= when <= search.before:
            continue
        if search.statuses and status not in search.statuses:
            continue
        if search.fulfilled_by and order.fulfilled_by not in search.fulfilled_by:
            continue
        rows.append(((when, order.order_id), order, status, last))
    rows.sort(key=lambda r: r[0])
    return rows


@dataclass(frozen=True)
class _GenerationKnobs:
    """The only config fields order generation reads (datagen reads seed and orders_per_day)."""

    seed: int
    orders_per_day: int


def page(rows, position: tuple[datetime, str] | None, size: int):
    """(rows of this page, key of its last row if more rows follow, else None)."""
    start = 0
    if position is not None:
        start = bisect.bisect_right(rows, position, key=lambda r: r[0])
    chunk = rows[start : start + size]
    more = start + size < len(rows)
    return chunk, (chunk[-1][0] if more and chunk else None)


# ---- pagination tokens -----------------------------------------------------------------------

def make_token(secret: str, filters: dict, position: tuple[datetime, str], as_of: datetime, issued: float) -> str:
    body = json.dumps({"f": filters, "k": [iso(position[0]), position[1]], "a": iso(as_of), "t": issued}, sort_keys=True)
    raw = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return raw + "." + _sign(secret, raw)


@dataclass(frozen=True)
class TokenState:
    position: tuple[datetime, str]
    as_of: datetime  # snapshot time of the first page
    issued: float  # later pages inherit the first page's issue time, so the 24 hours run from there
    filters: dict


def read_token(secret: str, token: str, filters: dict | None, now_ts: float) -> TokenState:
    """InvalidInput if the token is forged, expired, or (unless `filters` is None) sent with other filters."""
    raw, _, sig = token.partition(".")
    if not sig or not hmac.compare_digest(sig, _sign(secret, raw)):
        raise InvalidInput("Invalid Input", "The pagination token is invalid.")
    data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    if now_ts - data["t"] > TOKEN_TTL:
        raise InvalidInput("Invalid Input", "The pagination token has expired. Pagination tokens are valid for 24 hours.")
    if filters is not None and data["f"] != filters:
        changed = sorted(k for k in set(data["f"]) | set(filters) if data["f"].get(k) != filters.get(k))
        raise InvalidInput(
            "Invalid Input",
            f"Parameters must not change between pages; only the page size and included data may. Changed: {', '.join(changed)}.",
        )
    position = (parse_time(data["k"][0], "token"), data["k"][1])
    return TokenState(position, parse_time(data["a"], "token"), data["t"], data["f"])


def _sign(secret: str, raw: str) -> str:
    return hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()[:20]
