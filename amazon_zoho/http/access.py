"""Which Selling Partner API role each call we make needs, and which Zoho OAuth scope: the one table that
`make doctor` probes with and that the clients quote when Amazon answers 403 or Zoho OAUTH_SCOPE_MISMATCH,
so a run stopped by a missing role or scope says the same thing the doctor says.

Amazon roles: "Role Mappings for SP-API Operations" (https://developer-docs.amazon.com/sp-api/docs/role-mappings)
and "... for SP-API Types" (https://developer-docs.amazon.com/sp-api/docs/role-mappings-for-types). An operation
accepts any one of several roles; we name the one this project's use belongs to:
- searchOrders / getOrder accept Inventory and Order Tracking among others ("Get orders with filtering criteria",
  https://developer-docs.amazon.com/sp-api/docs/get-orders-with-filtering-criteria);
- buyer and recipient data (includedData BUYER, RECIPIENT) need Direct-to-Consumer Delivery (Restricted)
  (https://developer-docs.amazon.com/sp-api/docs/access-orders-pii; API-FACTS.md §2b);
- the Reports API operations accept many roles; what decides is the report type: the all-orders flat file
  belongs to Inventory and Order Tracking, the settlement report to Finance and Accounting (role-mappings-for-types);
- getMarketplaceParticipations: NA/EU accept Product Listing or Selling Partner Insights (among others), FE any
  role (https://developer-docs.amazon.com/sp-api/docs/sellers-api, "Roles for the Sellers API v1");
- notifications (ORDER_CHANGE via SQS): not used by this project yet.

Zoho scopes: each API page's "Scope" line (https://www.zoho.com/crm/developer/docs/api/v8/); Bulk Write upload
needs ZohoFiles.files.ALL (API-FACTS.md §9); GET /crm/v8/settings/modules needs ZohoCRM.settings.modules.READ
(https://www.zoho.com/crm/developer/docs/api/v8/modules-api.html; PostHog/posthog#78477 met the 401
OAUTH_SCOPE_MISMATCH without it).
"""

from __future__ import annotations

import re

ORDERS_ROLE = "Inventory and Order Tracking"
BUYER_ROLE = "Direct-to-Consumer Delivery (Restricted)"
FINANCE_ROLE = "Finance and Accounting"
PARTICIPATION_ROLE = "Selling Partner Insights (or Product Listing)"

ORDER_REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
SETTLEMENT_REPORT_TYPE = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"

# Operation -> the role this project's calls of it need (when no report type or PII decides).
AMAZON_ROLES = {
    "searchOrders": ORDERS_ROLE,
    "getOrder": ORDERS_ROLE,
    "getReports": ORDERS_ROLE,
    "getReport": ORDERS_ROLE,
    "getReportDocument": ORDERS_ROLE,
    "createReport": ORDERS_ROLE,
    "getMarketplaceParticipations": PARTICIPATION_ROLE,
}
REPORT_TYPE_ROLES = {ORDER_REPORT_TYPE: ORDERS_ROLE, SETTLEMENT_REPORT_TYPE: FINANCE_ROLE}
PII_DATA = ("BUYER", "RECIPIENT")

# What the sync needs, as one scope string for the self client (README "Going live"); the push checks its token
# carries them before its first write (SYNC_SCOPES: all but the modules listing, which only `make doctor` reads).
ZOHO_SCOPES = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.fields.ALL",
    "ZohoCRM.settings.modules.READ",
    "ZohoCRM.org.READ",
    "ZohoCRM.bulk.ALL",
    "ZohoFiles.files.ALL",
)
SYNC_SCOPES = tuple(s for s in ZOHO_SCOPES if s != "ZohoCRM.settings.modules.READ")
# ZohoCrmClient operation -> the scope it needs.
ZOHO_OPERATION_SCOPES = {
    "upsert": "ZohoCRM.modules.ALL",
    "update": "ZohoCRM.modules.ALL",
    "insert": "ZohoCRM.modules.ALL",
    "getRecord": "ZohoCRM.modules.ALL",
    "getRecords": "ZohoCRM.modules.ALL",
    "search": "ZohoCRM.modules.ALL",
    "getFields": "ZohoCRM.settings.fields.ALL",
    "createFields": "ZohoCRM.settings.fields.ALL",
    "updateField": "ZohoCRM.settings.fields.ALL",
    "getModules": "ZohoCRM.settings.modules.READ",
    "getOrg": "ZohoCRM.org.READ",
    "bulkWriteUpload": "ZohoFiles.files.ALL",
    "bulkWriteCreate": "ZohoCRM.bulk.ALL",
    "bulkWriteStatus": "ZohoCRM.bulk.ALL",
    "bulkWriteResult": "ZohoCRM.bulk.ALL",
}
SELLER_CENTRAL_APPS = "Seller Central → Apps and Services → Develop Apps (or the Solution Provider Portal)"


def amazon_role(operation: str, params: dict | None = None, body: dict | None = None) -> str | None:
    """The role a call of `operation` with these query parameters / JSON body needs, or None if unknown."""
    fields = {**(params or {}), **(body or {})}
    included = str(fields.get("includedData") or "")
    if operation in ("searchOrders", "getOrder") and any(d in included.split(",") for d in PII_DATA):
        # Without the restricted role Amazon refuses the buyer data, not the orders: name the role that is missing
        # only when the caller asked for buyer data (the doctor probes both ways to tell which one it is).
        return f"{ORDERS_ROLE} (and, for buyer and recipient data, {BUYER_ROLE})"
    report_types = str(fields.get("reportTypes") or fields.get("reportType") or "").split(",")
    for report_type in report_types:
        if report_type in REPORT_TYPE_ROLES:
            return REPORT_TYPE_ROLES[report_type]
    return AMAZON_ROLES.get(operation)


def amazon_hint(operation: str, params: dict | None = None, body: dict | None = None) -> str:
    """What to do about a 403 that is not an expired token: the role to add, and where."""
    role = amazon_role(operation, params, body)
    what = f"the SP-API role {role!r}" if role else "the SP-API role this operation needs (https://developer-docs.amazon.com/sp-api/docs/role-mappings)"
    return (f"the app lacks {what} for {operation}: add it to your developer profile and to the app in {SELLER_CENTRAL_APPS}, "
            f"then authorise the app again (a new refresh token) and put it in AMAZON_LWA_REFRESH_TOKEN; `make doctor` checks it")


def granted_scopes(token_answer: dict) -> set[str]:
    """The scopes a Zoho token answer lists (API-FACTS §7 shows them comma-separated; spaces, as OAuth's RFC 6749 §3.3
    separates scopes, are read too), or an empty set when it lists none."""
    return {s for s in re.split(r"[,\s]+", str(token_answer.get("scope") or "")) if s}


def missing_scopes(granted: set[str], needed: tuple[str, ...] = ZOHO_SCOPES) -> list[str]:
    """The `needed` scopes a token granted `granted` lacks; a broader grant covers its parts (ZohoCRM.settings.ALL
    covers ZohoCRM.settings.fields.ALL and ZohoCRM.settings.modules.READ; X.ALL covers X.READ)."""
    def covered(scope: str) -> bool:
        return scope in granted or any(g.endswith(".ALL") and scope.startswith(g[: -len("ALL")]) for g in granted)

    return [s for s in needed if not covered(s)]


def zoho_hint(operation: str, scope: str | None = None) -> str:
    """What to do about OAUTH_SCOPE_MISMATCH (or a token granted without `scope`): the scope to add to the refresh token."""
    scope = scope or ZOHO_OPERATION_SCOPES.get(operation)
    what = f"the OAuth scope {scope}" if scope else "an OAuth scope this call needs"
    return (f"the Zoho refresh token lacks {what} for {operation}: generate a new grant code in the Self Client of your data "
            f"centre's API console with the scopes {','.join(ZOHO_SCOPES)}, turn it into a refresh token with "
            f"`make zoho-token CODE=...` and put it in ZOHO_REFRESH_TOKEN; `make doctor` checks it")
