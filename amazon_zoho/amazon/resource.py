"""AmazonSellerResource: one seller account's SP-API access, real or sandbox, as a Dagster resource."""

from __future__ import annotations

import dagster as dg
import requests
from pydantic import PrivateAttr

from ..http.oauth import ClientCredentialsProvider, RefreshTokenProvider
from .pacing import RateLimiter
from .spapi import SpApiClient

# Regional SP-API hosts (Amazon's spapiclient.py); LWA uses one host for every region.
REGION_ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"


class AmazonSellerResource(dg.ConfigurableResource):
    """Selling Partner API access for one seller: LWA credentials, region and marketplaces."""

    lwa_client_id: str
    lwa_client_secret: str
    lwa_refresh_token: str
    marketplace_ids: list[str]
    region: str = "eu"
    # Empty means the region's production host; the sandbox sets its own loopback URL here.
    endpoint: str = ""
    lwa_token_url: str = LWA_TOKEN_URL
    # Only for the sandbox: refill our buckets as fast as its time-scale knob refills its own.
    time_scale: float = 1.0
    seller_key: str = "default"
    # Days before each daily window whose orders are re-scanned for late changes (amazon/order_updates.py).
    lookback_days: int = 3
    timeout_seconds: float = 60.0

    _client: SpApiClient | None = PrivateAttr(default=None)
    _grantless: dict = PrivateAttr(default_factory=dict)
    _session: requests.Session | None = PrivateAttr(default=None)

    @property
    def base_url(self) -> str:
        return self.endpoint or REGION_ENDPOINTS[self.region]

    @property
    def is_sandbox(self) -> bool:
        return any(host in self.endpoint for host in ("127.0.0.1", "localhost"))

    def session(self) -> requests.Session:
        if self._session is None:
            self._session = requests.Session()
        return self._session

    def client(self) -> SpApiClient:
        if self._client is None:
            tokens = RefreshTokenProvider(
                "amazon", self.lwa_token_url, self.lwa_client_id, self.lwa_client_secret, self.lwa_refresh_token, self.session()
            )
            limiter = RateLimiter.for_seller(f"{self.seller_key}@{self.base_url}", self.time_scale)
            self._client = SpApiClient(self.base_url, tokens, limiter, self.session(), timeout=self.timeout_seconds)
        return self._client

    def grantless_client(self, scope: str) -> SpApiClient:
        """A client for grantless operations (no seller authorization: the Notifications API's destinations), with an
        LWA client_credentials token for `scope`; paced by the same per-seller buckets."""
        if scope not in self._grantless:
            tokens = ClientCredentialsProvider("amazon", self.lwa_token_url, self.lwa_client_id, self.lwa_client_secret, scope, self.session())
            limiter = RateLimiter.for_seller(f"{self.seller_key}@{self.base_url}", self.time_scale)
            self._grantless[scope] = SpApiClient(self.base_url, tokens, limiter, self.session(), timeout=self.timeout_seconds)
        return self._grantless[scope]
