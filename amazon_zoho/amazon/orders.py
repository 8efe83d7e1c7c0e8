"""searchOrders and getOrder (Orders API v2026-01-01): orders with their items, no per-order item calls."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .. import clock
from ..http.errors import AccessDenied, ApiError
from .spapi import SpApiClient

# What the canonical model and the Zoho sync read, and nothing more: BUYER (buyer key, contact name and
# e-mail), RECIPIENT (ship country, contact address), PROCEEDS (totals, line amounts), FULFILLMENT (status,
# AFN/MFN, quantities shipped and unshipped, delivery window), CANCELLATION (who cancelled an item and why: core
# counts a cancelled item's units from the FULFILLMENT quantities, this says why), PACKAGES (ship time of
# merchant-fulfilled orders). PROMOTION, TAX and the rest add bytes nobody reads; items always come with the order.
INCLUDED_DATA = ("BUYER", "RECIPIENT", "PROCEEDS", "CANCELLATION", "FULFILLMENT", "PACKAGES")
PII_DATA = ("BUYER", "RECIPIENT")
# Amazon's Data Protection Policy: buyer PII only as long as needed to fulfil the order, "no longer than
# 30 days after order shipment" (API-FACTS §12b). We ask for buyer and recipient only for orders that
# recent; older ones keep their pseudonymous key if we already had it and land on the shared contact if not.
BUYER_DETAILS_MAX_AGE = timedelta(days=30)
# Amazon refuses *Before values less than two minutes old; keep a margin for clock skew.
FRESHNESS_MARGIN = timedelta(minutes=2, seconds=30)
MAX_MARKETPLACES_PER_CALL = 50


@dataclass
class FetchedOrder:
    order_id: str
    marketplace_id: str | None
    payload: str  # the JSON as received, re-serialized per order
    request_id: str | None
    last_updated: str | None = None


@dataclass
class Refused:
    """An order getOrder would not serve (404 NotFound, 403 Unauthorized): what Amazon said, for the quarantine."""

    order_id: str
    status: int
    error_code: str | None
    request_id: str | None


class PaginationLoopError(RuntimeError):
    """A listing whose next page is one already read: following it would page for ever."""


# getOrder answers that concern one order, not the run: Amazon will not serve it (now). Expired tokens are a
# 403 too, but SpApiClient refreshes and retries those before they reach here.
REFUSED_STATUSES = (403, 404)


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clamp_before(before: datetime, now: datetime | None = None) -> datetime:
    latest = (now or clock.now()) - FRESHNESS_MARGIN
    return min(before, latest)


def included_data(window_end: datetime, now: datetime | None = None) -> tuple[str, ...]:
    """INCLUDED_DATA, without buyer and recipient when the whole window is older than the PII horizon."""
    if window_end < (now or clock.now()) - BUYER_DETAILS_MAX_AGE:
        return tuple(d for d in INCLUDED_DATA if d not in PII_DATA)
    return INCLUDED_DATA


def search_pages(
    client: SpApiClient,
    marketplace_ids: list[str],
    after: datetime,
    before: datetime,
    by: str = "created",
    page_size: int = 100,
    included: tuple[str, ...] = INCLUDED_DATA,
) -> Iterator[list[FetchedOrder]]:
    """Yields the orders created (or last updated, by="lastUpdated") in [after, before), one page at a time.

    Pages come sorted by that timestamp, so a caller that stops early has covered [after, last one seen].
    """
    before = clamp_before(before)
    if before <= after:
        return
    for start in range(0, len(marketplace_ids), MAX_MARKETPLACES_PER_CALL):
        chunk = marketplace_ids[start : start + MAX_MARKETPLACES_PER_CALL]
        params: dict = {
            f"{by}After": iso(after),
            f"{by}Before": iso(before),
            "marketplaceIds": ",".join(chunk),
            "includedData": ",".join(included),
            "maxResultsPerPage": page_size,
        }
        seen_tokens: set[str] = set()
        seen_pages: dict[str, int] = {}
        while True:
            response = client.call("searchOrders", "GET", "/orders/2026-01-01/orders", params=params)
            page = [_fetched(order, response.request_id) for order in response.body.get("orders", [])]
            _check_new_page(page, seen_pages, params, response.request_id)
            yield page
            token = (response.body.get("pagination") or {}).get("nextToken")
            if not token:
                break
            if token in seen_tokens:
                raise PaginationLoopError(
                    f"searchOrders {by} [{iso(after)}, {iso(before)}) page {len(seen_pages)}: Amazon's nextToken is one this "
                    f"listing already followed (request_id={response.request_id}); stopped instead of paging for ever"
                )
            seen_tokens.add(token)
            # Every filter is resent unchanged with the token, as the model requires.
            params = {**params, "paginationToken": token}


def search_orders(
    client: SpApiClient,
    marketplace_ids: list[str],
    after: datetime,
    before: datetime,
    by: str = "created",
    page_size: int = 100,
    included: tuple[str, ...] = INCLUDED_DATA,
) -> Iterator[FetchedOrder]:
    """Yields every order created (or last updated, by="lastUpdated") in [after, before)."""
    for page in search_pages(client, marketplace_ids, after, before, by, page_size, included):
        yield from page


def get_order(client: SpApiClient, order_id: str, included: tuple[str, ...] = INCLUDED_DATA) -> FetchedOrder:
    """One order with its items (v2026 replaces v0's getOrder + getOrderItems + getOrderBuyerInfo)."""
    response = client.call(
        "getOrder", "GET", f"/orders/2026-01-01/orders/{order_id}", params={"includedData": ",".join(included)}
    )
    return _fetched(response.body.get("order") or {}, response.request_id)


def _check_new_page(page: list[FetchedOrder], seen: dict[str, int], params: dict, request_id: str | None) -> None:
    """Raises when `page` holds exactly the orders of a page this listing already returned (a token that
    differs in its bytes but leads back): within one listing each order appears on one page."""
    number = len(seen) + 1
    if page:
        digest = hashlib.sha256("\n".join(f"{o.order_id}@{o.last_updated}" for o in page).encode()).hexdigest()
        if digest in seen:
            raise PaginationLoopError(
                f"searchOrders page {number} (request_id={request_id}) repeats page {seen[digest]} of the same listing "
                f"({len(page)} orders, first {page[0].order_id}); stopped instead of paging for ever"
            )
        seen[digest] = number
    else:
        seen[f"empty-{number}"] = number


def get_orders(
    client: SpApiClient, order_ids: list[str], included: tuple[str, ...] = INCLUDED_DATA
) -> tuple[list[FetchedOrder], list[Refused]]:
    """get_order for each id; an order Amazon refuses (404/403) is returned as Refused instead of failing the rest."""
    fetched, refused = [], []
    for order_id in order_ids:
        try:
            fetched.append(get_order(client, order_id, included))
        except ApiError as exc:
            if exc.status not in REFUSED_STATUSES:
                raise
            if isinstance(exc, AccessDenied) and _buyer_data_refused(client, order_id, included):
                # Not one withheld order: the app lacks the buyer-data role, and every order would be refused in
                # turn. Stop at this first one, with the role named (issue #20 item 3).
                raise
            refused.append(Refused(order_id, exc.status, _error_code(exc.body), exc.request_id))
    return fetched, refused


def _buyer_data_refused(client: SpApiClient, order_id: str, included: tuple[str, ...]) -> bool:
    """A 403 for an order asked with buyer data: the same order without it answering means the refusal was about
    the restricted role (Direct-to-Consumer Delivery), not the order. One extra call, only after a 403."""
    if not set(included) & set(PII_DATA):
        return False
    try:
        get_order(client, order_id, tuple(d for d in included if d not in PII_DATA))
    except ApiError:
        return False
    return True


def _error_code(body: str) -> str | None:
    """errors[0].code of an SP-API ErrorList (API-FACTS §1), if the body is one."""
    try:
        errors = json.loads(body).get("errors") or []
        return str(errors[0].get("code")) if errors and isinstance(errors[0], dict) else None
    except (ValueError, AttributeError):
        return None


def _fetched(order: dict, request_id: str | None) -> FetchedOrder:
    return FetchedOrder(
        order_id=str(order.get("orderId")),
        marketplace_id=(order.get("salesChannel") or {}).get("marketplaceId"),
        payload=json.dumps(order, separators=(",", ":"), sort_keys=True),
        request_id=request_id,
        last_updated=order.get("lastUpdatedTime"),
    )
