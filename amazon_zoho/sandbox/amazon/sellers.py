"""Sellers API v1: `GET /sellers/v1/marketplaceParticipations` (getMarketplaceParticipations), which `make doctor`
calls to check that the seller sells in each configured marketplace.

Shape: the Sellers API v1 model (amzn/selling-partner-api-models `models/sellers-api-model/sellers.json`, as
rendered at https://developer-docs.amazon.com/sp-api/docs/sellers-api-v1-reference): `{"payload": [
{"marketplace": {id, name, countryCode, defaultCurrencyCode, defaultLanguageCode, domainName}, "storeName",
"participation": {isParticipating, hasSuspendedListings}}]}`. Usage plan: rate 0.016 requests/s, burst 15 (same
page; repeated in every generated client, e.g. jlevers/selling-partner-api docs/Api/SellersApi.md).
The sandbox seller participates in exactly the marketplaces it simulates (config.marketplaces).
"""

from __future__ import annotations

from ...amazon import marketplaces as amazon_marketplaces
from ..http import Request, Response

RATE_PLAN = (0.016, 15)


def register(app) -> None:
    app.rate_plans["getMarketplaceParticipations"] = RATE_PLAN
    app.router.add("GET", "/sellers/v1/marketplaceParticipations", "amazon", "getMarketplaceParticipations",
                   lambda req: participations(app, req))


def participations(app, req: Request) -> Response:
    payload = []
    for marketplace_id in app.config.marketplaces:
        row = amazon_marketplaces.BY_ID[marketplace_id]
        payload.append({
            "marketplace": {
                "id": marketplace_id, "name": row.sales_channel, "countryCode": row.country_code,
                "defaultCurrencyCode": row.currency, "defaultLanguageCode": _language(row.country_code),
                "domainName": "www." + row.sales_channel.lower(),
            },
            "storeName": "Sandbox Store",
            "participation": {"isParticipating": True, "hasSuspendedListings": False},
        })
    return Response.json(200, {"payload": payload})


def _language(country: str) -> str:
    return {"DE": "de_DE", "FR": "fr_FR", "GB": "en_GB", "US": "en_US", "CA": "en_CA"}.get(country, "en_US")
