"""searchOrders (Orders API v2026-01-01): every order of a time window with its items in one paged scan."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

from .spapi import SpApiClient

# What the canonical model and the Zoho sync read, and nothing more: each extra section costs bytes
# and, for BUYER/RECIPIENT, widens the PII we hold.
INCLUDED_DATA = ("BUYER", "RECIPIENT", "PROCEEDS", "FULFILLMENT", "PROMOTION", "TAX")
# Amazon refuses *Before values less than two minutes old; keep a margin for clock skew.
FRESHNESS_MARGIN = timedelta(minutes=2, seconds=30)
MAX_MARKETPLACES_PER_CALL = 50


@dataclass
class FetchedOrder:
    order_id: str
    marketplace_id: str | None
    payload: str  # the JSON as received, re-serialized per order
    request_id: str | None


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clamp_before(before: datetime, now: datetime | None = None) -> datetime:
    latest = (now or datetime.now(timezone.utc)) - FRESHNESS_MARGIN
    return min(before, latest)


def search_orders(
    client: SpApiClient,
    marketplace_ids: list[str],
    after: datetime,
    before: datetime,
    by: str = "created",
    page_size: int = 100,
) -> Iterator[FetchedOrder]:
    """Yields every order created (or last updated, by="lastUpdated") in [after, before)."""
    before = clamp_before(before)
    if before <= after:
        return
    for start in range(0, len(marketplace_ids), MAX_MARKETPLACES_PER_CALL):
        chunk = marketplace_ids[start : start + MAX_MARKETPLACES_PER_CALL]
        params: dict = {
            f"{by}After": iso(after),
            f"{by}Before": iso(before),
            "marketplaceIds": ",".join(chunk),
            "includedData": ",".join(INCLUDED_DATA),
            "maxResultsPerPage": page_size,
        }
        while True:
            response = client.call("searchOrders", "GET", "/orders/2026-01-01/orders", params=params)
            for order in response.body.get("orders", []):
                yield FetchedOrder(
                    order_id=str(order.get("orderId")),
                    marketplace_id=(order.get("salesChannel") or {}).get("marketplaceId"),
                    payload=json.dumps(order, separators=(",", ":"), sort_keys=True),
                    request_id=response.request_id,
                )
            token = (response.body.get("pagination") or {}).get("nextToken")
            if not token:
                break
            # Every filter is resent unchanged with the token, as the model requires.
            params = {**params, "paginationToken": token}
