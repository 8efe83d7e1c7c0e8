"""`make zoho-token CODE=<grant code>`: turns a Zoho Self Client's grant code into the refresh token the sync uses,
at any data centre.

    ZOHO_CLIENT_ID=... ZOHO_CLIENT_SECRET=... ZOHO_DATA_CENTER=eu make zoho-token CODE=1000.xxxx.yyyy

POST https://accounts.zoho.<dc>/oauth/v2/token with grant_type=authorization_code, client_id, client_secret and
code ("Generate Access Token and Refresh Token", https://www.zoho.com/crm/developer/docs/api/v8/access-refresh.html;
accounts host per data centre: zoho/resource.py ACCOUNTS_URLS, API-FACTS.md §7). Zoho answers 200 with either
{access_token, refresh_token, scope, api_domain, ...} or {"error": "invalid_code"} (a code is valid for the minutes
chosen when it was generated, and once). The refresh token is printed once, for ZOHO_REFRESH_TOKEN in .env; nothing
else of the answer is printed but the granted scopes and the API domain. With ZOHO_ACCOUNTS_URL set (a proxy, or
the sandbox: `make sandbox` accepts the code 1000.sandbox.grant) that host is asked instead.
"""

from __future__ import annotations

import argparse
import os
import sys

import requests

from ..http.access import ZOHO_SCOPES
from ..http.errors import register_secret
from ..settings import ZOHO_DATA_CENTERS
from ..zoho.resource import ACCOUNTS_URLS


def exchange(code: str, client_id: str, client_secret: str, accounts_url: str, timeout: float = 30) -> dict:
    """Zoho's answer to the code; raises SystemExit naming the problem (never the secret) when there is no refresh token."""
    register_secret(client_secret, code)
    response = requests.post(accounts_url.rstrip("/") + "/oauth/v2/token", timeout=timeout, data={
        "grant_type": "authorization_code", "client_id": client_id, "client_secret": client_secret, "code": code,
    })
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict) or "refresh_token" not in body:
        error = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else f"HTTP {response.status_code}, no refresh token"
        raise SystemExit(_advice(error[:64], accounts_url))
    register_secret(body["refresh_token"], body.get("access_token"))
    return body


def _advice(error: str, accounts_url: str) -> str:
    if error == "invalid_code":
        return (f"Zoho at {accounts_url} refused the grant code (invalid_code): it was used already, has expired (a code lives the "
                f"minutes chosen when it was generated), or belongs to another data centre. Generate a new one in the Self Client "
                f"(scopes {','.join(ZOHO_SCOPES)}) and run this again within its time")
    if error == "invalid_client":
        return (f"Zoho at {accounts_url} does not know this client (invalid_client): ZOHO_CLIENT_ID is wrong or the Self Client was "
                f"created in another data centre's API console; set ZOHO_DATA_CENTER to that one ({', '.join(ZOHO_DATA_CENTERS)})")
    return f"Zoho at {accounts_url} gave no refresh token ({error}); check ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET and ZOHO_DATA_CENTER"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.cli.zoho_token", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("code", help="the grant code the Self Client generated")
    args = parser.parse_args(argv)
    client_id, client_secret = os.environ.get("ZOHO_CLIENT_ID", ""), os.environ.get("ZOHO_CLIENT_SECRET", "")
    if not client_id or not client_secret or not args.code:
        raise SystemExit("set ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET (from the Self Client's Client Secret tab) and pass CODE=<grant code>")
    dc = os.environ.get("ZOHO_DATA_CENTER") or "com"
    if dc not in ACCOUNTS_URLS:
        raise SystemExit(f"ZOHO_DATA_CENTER={dc!r} is not a Zoho data centre; use one of {', '.join(ZOHO_DATA_CENTERS)}")
    accounts = os.environ.get("ZOHO_ACCOUNTS_URL") or ACCOUNTS_URLS[dc]
    body = exchange(args.code, client_id, client_secret, accounts)
    print(f"granted scopes: {body.get('scope', '(not listed)')}; API domain: {body.get('api_domain', '?')}")
    missing = [s for s in ZOHO_SCOPES if body.get("scope") and s not in str(body.get("scope")).split(",")]
    if missing:
        print(f"note: the token lacks {', '.join(missing)} (a broader scope such as ZohoCRM.settings.ALL covers its parts); `make doctor` tells")
    print("put this line in .env (it is shown once; Zoho keeps it valid until revoked):")
    print(f"ZOHO_REFRESH_TOKEN={body['refresh_token']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
