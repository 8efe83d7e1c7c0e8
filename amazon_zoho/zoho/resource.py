"""ZohoCrmResource: one Zoho CRM org, real (any data centre) or the sandbox, as a Dagster resource."""

from __future__ import annotations

import dagster as dg
import requests
from pydantic import PrivateAttr

from ..http.oauth import RefreshTokenProvider
from ..settings import DEFAULT_CREDIT_RESERVE, DEFAULT_DAILY_CREDITS, DEFAULT_ZOHO_FIELDS_MAX_AGE_MINUTES
from .budget import CreditBudget
from .client import ZohoCrmClient
from .mapping import Mapping, load as load_mapping

# Accounts host per data centre (Zoho's Python SDK, crm/api/dc/*): note Canada's zohocloud.ca.
ACCOUNTS_URLS = {
    "com": "https://accounts.zoho.com",
    "eu": "https://accounts.zoho.eu",
    "in": "https://accounts.zoho.in",
    "com.au": "https://accounts.zoho.com.au",
    "jp": "https://accounts.zoho.jp",
    "zohocloud.ca": "https://accounts.zohocloud.ca",
    "com.cn": "https://accounts.zoho.com.cn",
    "sa": "https://accounts.zoho.sa",
}


# File-upload host per data centre (Bulk Write uploads; API-FACTS §7): content.zohoapis.<tld>, except CA and SA.
FILES_URLS = {
    "com": "https://content.zohoapis.com",
    "eu": "https://content.zohoapis.eu",
    "in": "https://content.zohoapis.in",
    "com.au": "https://content.zohoapis.com.au",
    "jp": "https://content.zohoapis.jp",
    "zohocloud.ca": "https://upload.zohocloud.ca",
    "com.cn": "https://content.zohoapis.com.cn",
    "sa": "https://files.zoho.sa",
}


class ZohoCrmResource(dg.ConfigurableResource):
    """Zoho CRM v8 access for one org: OAuth client, refresh token and data centre."""

    client_id: str
    client_secret: str
    refresh_token: str
    data_center: str = "com"
    # Empty means the data centre's accounts host; the sandbox sets its loopback URL.
    accounts_url: str = ""
    # Empty means the api_domain Zoho returns with each token.
    api_domain: str = ""
    # Empty means the data centre's upload host, or the API domain when accounts_url is overridden (sandbox, proxy).
    files_url: str = ""
    timeout_seconds: float = 60.0
    # Create the custom fields the mapping writes (Amazon_SKU, Amazon_Order_ID, ...) when missing.
    auto_setup: bool = True
    # The field mapping (zoho/mapping.yaml when empty) and the org's rolling 24-hour credit allowance (budget.py).
    mapping_file: str = ""
    daily_credits: int = DEFAULT_DAILY_CREDITS
    credit_reserve: int = DEFAULT_CREDIT_RESERVE
    # How long a push reuses the field metadata an earlier run read (field_cache.py); 0: read it every run.
    fields_max_age_minutes: float = DEFAULT_ZOHO_FIELDS_MAX_AGE_MINUTES
    # Where every process of the deployment shares its access token (http/token_store.py); empty: each its own.
    token_cache_dir: str = ""

    _client: ZohoCrmClient | None = PrivateAttr(default=None)
    # Read once per run: the code location already validated the file when it loaded (build.py).
    _mapping: Mapping | None = PrivateAttr(default=None)

    def mapping(self) -> Mapping:
        if self._mapping is None:
            self._mapping = load_mapping(self.mapping_file or None)
        return self._mapping

    def budget(self) -> CreditBudget:
        return CreditBudget(daily=self.daily_credits, reserve=self.credit_reserve)

    def client(self) -> ZohoCrmClient:
        if self._client is None:
            session = requests.Session()
            accounts = (self.accounts_url or ACCOUNTS_URLS[self.data_center]).rstrip("/")
            tokens = RefreshTokenProvider("zoho", accounts + "/oauth/v2/token", self.client_id, self.client_secret, self.refresh_token, session,
                                          store_dir=self.token_cache_dir)
            files = self.files_url or ("" if self.accounts_url else FILES_URLS[self.data_center])
            self._client = ZohoCrmClient(tokens, session, self.api_domain or None, timeout=self.timeout_seconds, files_url=files or None)
        return self._client
