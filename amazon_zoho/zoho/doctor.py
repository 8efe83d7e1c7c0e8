"""`make doctor`, Zoho side: the token at the configured data centre (a wrong one is recognised and the right one
named), each OAuth scope the sync needs, the org's modules and fields, and its credit allowance. Every probe reads;
nothing is created (no record, no field, no Bulk Write job). Each check returns a Check (amazon/doctor.py)."""

from __future__ import annotations

import math
from collections.abc import Callable

import requests

from ..amazon.doctor import Check
from ..http.access import ZOHO_OPERATION_SCOPES, ZOHO_SCOPES, granted_scopes
from ..http.errors import AccessDenied, ApiError
from ..http.oauth import RefreshTokenProvider
from ..settings import ZOHO_DATA_CENTERS
from .client import ZohoCrmClient
from .mapping import MODULE_ORDER, Mapping
from .setup import inspect

# What Zoho says at an accounts server that does not know the client (API-FACTS §7: errors come as
# {"error": ...}): a client registered in another data centre's API console is unknown here, "invalid client"
# (https://crmcurator.com/articles/zoho/zoho-oauth-token-management/, third-party), and a refresh token Zoho does not
# know answers invalid_code (API-FACTS §7). Either may mean the wrong data centre, so the others are asked.
WRONG_DC_ERRORS = ("error=invalid_client", "error=invalid_code")
# `make bench` (BENCHMARKS.md, "Zoho API credits"): credits the sync spends per 1,000 new orders (142.0 on the
# sandbox, 2026-11-23), and the 1-year backfill at 1,000 orders/day (8,122 credits, README "What it costs").
CREDITS_PER_1000_ORDERS = 142
BACKFILL_YEAR_CREDITS_PER_1000_DAILY = 8_122
# A probe job id no job has: Zoho checks the token's scope before it looks the job up, so any answer other than
# OAUTH_SCOPE_MISMATCH shows the scope is there (sandbox: the gate in sandbox/access.py comes first too).
NO_SUCH_JOB = "111111000000000001"


def token(client: ZohoCrmClient, data_center: str, other_dc_url: Callable[[str], str] | None) -> Check:
    """Mints an access token; when the data centre does not know the client, asks the others which one does."""
    name = f"Zoho token (data centre {data_center})"
    try:
        client.tokens.token()
    except ApiError as exc:
        if exc.body in WRONG_DC_ERRORS and other_dc_url is not None:
            right = find_data_center(client.tokens, data_center, other_dc_url)
            if right:
                return Check(name, False, f"Zoho's {data_center} accounts server does not know this client ({exc.body}), the "
                                          f"{right} one does: the client was created in the {right} data centre's API console; "
                                          f"set ZOHO_DATA_CENTER={right}")
            return Check(name, False, f"no Zoho data centre accepts these credentials ({exc.body} at {data_center}): check "
                                      f"ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET, and mint a new refresh token with `make zoho-token CODE=...`")
        if exc.body in WRONG_DC_ERRORS:
            return Check(name, False, f"Zoho refused the credentials ({exc.body}): check ZOHO_DATA_CENTER, ZOHO_CLIENT_ID, "
                                      f"ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN")
        return Check(name, False, f"Zoho refused the token ({exc.body}); a blocked refresh token (too many mints) frees itself after 10 minutes")
    except requests.RequestException as exc:
        return Check(name, False, f"cannot reach Zoho's accounts server ({type(exc).__name__}); check the network or ZOHO_ACCOUNTS_URL")
    return Check(name, True, f"an access token was minted; API domain {client.tokens.last_response.get('api_domain', '?')}")


def find_data_center(tokens: RefreshTokenProvider, configured: str, url_of: Callable[[str], str]) -> str | None:
    """The data centre whose accounts server mints a token with these credentials (the refresh grant reads, it
    writes nothing), or None. Only Zoho's own accounts servers are asked."""
    for dc in ZOHO_DATA_CENTERS:
        if dc == configured:
            continue
        probe = RefreshTokenProvider("zoho", url_of(dc), tokens._form["client_id"], tokens._form["client_secret"],
                                     tokens._form["refresh_token"], tokens._session, timeout=15)
        try:
            probe.token()
        except (ApiError, requests.RequestException):
            continue
        return dc
    return None


def scopes(client: ZohoCrmClient) -> list[Check]:
    """Each scope the sync needs, probed by a read call that needs it; a scope no read call needs is checked in the
    list Zoho returned with the token."""
    granted = granted_scopes(client.tokens.last_response)
    probes: list[tuple[str, Callable[[], object]]] = [
        ("getRecords", lambda: client.call("getRecords", "GET", "/crm/v8/Contacts", params={"fields": "Last_Name", "per_page": 1})),
        ("getFields", lambda: client.call("getFields", "GET", "/crm/v8/settings/fields", params={"module": "Contacts"})),
        ("getModules", lambda: client.call("getModules", "GET", "/crm/v8/settings/modules")),
        ("getOrg", lambda: client.call("getOrg", "GET", "/crm/v8/org")),
        ("bulkWriteStatus", lambda: client.call("bulkWriteStatus", "GET", f"/crm/bulk/v8/write/{NO_SUCH_JOB}")),
    ]
    checks = []
    for operation, probe in probes:
        scope = ZOHO_OPERATION_SCOPES[operation]
        name = f"Zoho scope {scope}"
        try:
            probe()
        except AccessDenied as exc:
            checks.append(Check(name, False, exc.hint))
            continue
        except ApiError:
            pass  # any other refusal (the probe job does not exist) came after the scope check
        note = " (read access seen; writing needs .ALL, which only a write would show)" if scope.endswith(".ALL") and operation != "bulkWriteStatus" else ""
        checks.append(Check(name, True, f"{operation} answers{note}"))
    files = "ZohoFiles.files.ALL"
    name = f"Zoho scope {files}"
    if not granted:
        checks.append(Check(name, None, "not checked: Zoho listed no scopes with the token and only an upload would show it (Bulk Write needs it)"))
    elif files in granted or "ZohoFiles.files.CREATE" in granted:
        checks.append(Check(name, True, "granted (listed with the token)"))
    else:
        checks.append(Check(name, False, f"the token was granted {', '.join(sorted(granted))} without {files}, which Bulk Write's upload "
                                         f"needs: mint a new refresh token with the scopes {','.join(ZOHO_SCOPES)} (`make zoho-token CODE=...`)"))
    return checks


def modules(client: ZohoCrmClient, mapping: Mapping) -> tuple[Check, set[str]]:
    """The org's edition has every module the mapping writes (inventory modules are missing on Free/Standard)."""
    name = "Zoho modules (edition)"
    try:
        _, body = client.call("getModules", "GET", "/crm/v8/settings/modules")
    except ApiError as exc:
        return Check(name, None, f"not checked: {exc.hint if isinstance(exc, AccessDenied) else exc}"), set()
    available = {m.get("api_name") for m in (body or {}).get("modules", []) if m.get("api_supported", True)}
    missing = [m for m in MODULE_ORDER if mapping[m].module not in available]
    if missing:
        return Check(name, False, f"the org has no {', '.join(mapping[m].module for m in missing)} module: Zoho's inventory modules (Sales Orders, "
                                  f"Products) are not in the Free and Standard editions; upgrade the org to Professional or above, or map "
                                  f"those records to modules it has in your own mapping (ZOHO_MAPPING_FILE)"), available
    return Check(name, True, f"{', '.join(mapping[m].module for m in MODULE_ORDER)} are there"), available


def fields(client: ZohoCrmClient, mapping: Mapping, available: set[str], auto_setup: bool) -> Check:
    """The fields the mapping writes, by setup.inspect (reads field metadata; creates nothing)."""
    name = "Zoho fields the mapping writes"
    problems, creatable = [], 0
    for module in MODULE_ORDER:
        if mapping[module].module not in available:
            continue
        try:
            report = inspect(client, mapping, module)
        except ApiError as exc:
            return Check(name, False, exc.hint if isinstance(exc, AccessDenied) else str(exc)[:300])
        creatable += len(report.creatable) + len(report.to_make_unique)
        problems += [p for p in report.problems if "make zoho-setup" not in p]
    if problems:
        return Check(name, False, "; ".join(problems))
    if creatable:
        when = "the first run creates them (ZOHO_AUTO_SETUP=1), or run `make zoho-setup` now" if auto_setup else "run `make zoho-setup` (ZOHO_AUTO_SETUP=0)"
        return Check(name, True, f"{creatable} custom fields or unique marks are missing: {when}")
    return Check(name, True, "every field is there")


def credits(daily: int, reserve: int, orders_per_day: int, sandbox_budget: int | None) -> Check:
    """The allowance set in ZOHO_DAILY_CREDITS against the expected daily use (BENCHMARKS.md figures). Zoho publishes
    no API that reports an org's allowance (API-FACTS §9): on the sandbox it is read from its credits endpoint,
    on a real org it is taken from the setting, which must match the API dashboard in Zoho CRM's Setup."""
    name = "Zoho API credits"
    daily_use = math.ceil(CREDITS_PER_1000_ORDERS * orders_per_day / 1000)
    backfill = math.ceil(BACKFILL_YEAR_CREDITS_PER_1000_DAILY * orders_per_day / 1000)
    available = daily - reserve
    if sandbox_budget is not None and sandbox_budget != daily:
        return Check(name, False, f"ZOHO_DAILY_CREDITS={daily} but the org allows {sandbox_budget} a day: set ZOHO_DAILY_CREDITS={sandbox_budget}")
    where = "the sandbox's allowance" if sandbox_budget is not None else "taken from ZOHO_DAILY_CREDITS; compare it with the API dashboard in Zoho CRM Setup"
    figures = (f"{orders_per_day:,} orders/day need about {daily_use:,} credits a day and a 1-year backfill about {backfill:,} "
               f"({CREDITS_PER_1000_ORDERS} per 1,000 orders, `make bench`); {available:,} usable a day ({daily:,} less {reserve:,} reserve; {where})")
    if daily_use > available:
        return Check(name, False, f"{figures}: not enough. Raise the org's allowance (more user licences or an add-on), or lower ZOHO_CREDIT_RESERVE")
    return Check(name, True, figures + (f"; the backfill spreads over {math.ceil(backfill / available)} days" if backfill > available else ""))
