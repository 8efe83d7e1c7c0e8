"""Missing permissions on demand, so `make doctor` and the clients' messages can be tested: knobs
`doctor_missing_role` (an SP-API role the app lacks) and `doctor_missing_scope` (a Zoho OAuth scope the
refresh token lacks).

Amazon refuses an operation whose role the app lacks with 403 and its ErrorList `Unauthorized` "Access to
requested resource is denied." (https://developer-docs.amazon.com/sp-api/docs/tax-invoicing-restricted-role:
"If you call an operation for which you don't have the required roles, you get a 403 error"; body as in
API-FACTS.md §1, here with no `details`, which is what tells it from an expired token). Which operation needs
which role is the sandbox's own reading of Amazon's role-mapping pages (cited in amazon_zoho/http/access.py,
whose role names it uses). Whether Amazon refuses searchOrders with includedData=BUYER, or drops the buyer
data, for an app without Direct-to-Consumer Delivery is UNVERIFIED; the sandbox refuses it.

Zoho refuses a call whose scope the token lacks with HTTP 401 {"code": "OAUTH_SCOPE_MISMATCH", "details": {},
"message": "invalid oauth scope to access this URL", "status": "error"} (code: [zoas] record.json API_Exception
enum; status and message as reported by integrators, e.g. PostHog/posthog#78477, Weble/ZohoClient#33).
"""

from __future__ import annotations

from ..http.access import BUYER_ROLE, FINANCE_ROLE, ORDERS_ROLE, PARTICIPATION_ROLE, PII_DATA, REPORT_TYPE_ROLES
from .http import Request, Response

_AMAZON = {
    "searchOrders": ORDERS_ROLE, "getOrder": ORDERS_ROLE, "getOrders": ORDERS_ROLE, "getOrderV0": ORDERS_ROLE,
    "getOrderItems": ORDERS_ROLE, "getReports": ORDERS_ROLE, "createReport": ORDERS_ROLE,
    "getMarketplaceParticipations": PARTICIPATION_ROLE,
}
# getReport, getReportDocument and cancelReport are not gated: Amazon lists nearly every role for them, and what
# decides is the role of the report's type, already needed to list or request it (role-mappings page).
_ZOHO_RECORDS = ("zoho_upsert", "zoho_search", "zoho_get_record", "zoho_update_record", "zoho_delete_record", "zoho_get_records",
                 "zoho_insert", "zoho_update", "zoho_delete")
_ZOHO = {
    **dict.fromkeys(_ZOHO_RECORDS, "ZohoCRM.modules"),
    "zoho_modules": "ZohoCRM.settings.modules", "zoho_module": "ZohoCRM.settings.modules",
    "zoho_fields": "ZohoCRM.settings.fields", "zoho_create_fields": "ZohoCRM.settings.fields",
    "zoho_update_field": "ZohoCRM.settings.fields", "zoho_users": "ZohoCRM.users", "zoho_org": "ZohoCRM.org",
    "zoho_bulk_upload": "ZohoFiles.files", "zoho_bulk_write_create": "ZohoCRM.bulk", "zoho_bulk_write_get": "ZohoCRM.bulk",
    "zoho_bulk_write_download": "ZohoCRM.bulk",
}
SCOPE_MISMATCH = {"code": "OAUTH_SCOPE_MISMATCH", "details": {}, "message": "invalid oauth scope to access this URL", "status": "error"}
DENIED = {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": ""}]}
# The principal of a grantless token (sandbox/amazon/lwa.py): "grantless:" and its scopes, space-separated.
GRANTLESS_PREFIX = "grantless:"


def grant_denied(app, operation: str, principal: str | None) -> Response | None:
    """A grantless operation takes a grantless token of its scope, every other operation only a seller's token.

    Amazon lists the grantless operations (https://developer-docs.amazon.com/sp-api/docs/grantless-operations, and
    each operation's description in notifications_v1.json); a seller token on getDestinations is refused with
    "Access to requested resource is denied." (jrl84/amazon-sp-api#20), and createSubscription "only works with an
    authorized token" (amzn/selling-partner-api-models#4491). Some grantless operations take the seller's token too
    (app.seller_token_too: deleteSubscriptionById works with it, python-amazon-sp-api#373, whose client sends it for
    getSubscriptionById as well). The refusal's body (403 Unauthorized, no details) is the sandbox's choice: the
    reports show only the message.
    """
    if principal is None:
        return None
    scope = app.grantless_operations.get(operation)
    grantless = principal.startswith(GRANTLESS_PREFIX)
    if scope is None:
        return Response.json(403, DENIED) if grantless else None
    if not grantless:
        return None if operation in app.seller_token_too else Response.json(403, DENIED)
    if scope not in principal.removeprefix(GRANTLESS_PREFIX).split():
        return Response.json(403, DENIED)
    return None


def amazon_roles(operation: str, req: Request) -> set[str]:
    """The roles the sandbox requires for this call (all of them)."""
    needed = {_AMAZON[operation]} if operation in _AMAZON else set()
    if operation in ("searchOrders", "getOrder") and set(req.args("includedData")) & set(PII_DATA):
        needed.add(BUYER_ROLE)
    types = req.args("reportTypes")
    if operation == "createReport":
        try:
            types = [str((req.json() or {}).get("reportType"))]
        except ValueError:
            types = []
    needed |= {REPORT_TYPE_ROLES[t] for t in types if t in REPORT_TYPE_ROLES}
    finance_types = {t for t, r in REPORT_TYPE_ROLES.items() if r == FINANCE_ROLE}
    if operation in ("getReports", "createReport") and FINANCE_ROLE in needed and not set(types) - finance_types:
        needed.discard(ORDERS_ROLE)  # a settlement listing needs Finance and Accounting, not the orders role
    return needed


def amazon_denied(app, operation: str, req: Request) -> Response | None:
    missing = app.config.doctor_missing_role.strip().lower()
    if not missing:
        return None
    if any(missing in role.lower() for role in amazon_roles(operation, req)):
        return Response.json(403, DENIED)
    return None


def zoho_denied(app, operation: str, req: Request) -> Response | None:
    """A missing scope is named by its family: ZohoCRM.bulk.ALL and ZohoCRM.bulk.READ both take ZohoCRM.bulk away."""
    missing = app.config.doctor_missing_scope.strip()
    if not missing:
        return zoho_missing_module(app, req)
    family = missing.rsplit(".", 1)[0] if missing.upper().endswith((".ALL", ".READ", ".CREATE", ".WRITE")) else missing
    needed = _ZOHO.get(operation)
    if needed and (needed == family or needed.startswith(family + ".")):
        return Response.json(401, SCOPE_MISMATCH)
    return zoho_missing_module(app, req)


def hidden_modules(app) -> set[str]:
    """Modules the org's edition lacks (knob zoho_edition_without): inventory modules such as Sales_Orders are not
    in Zoho's Free and Standard editions (API-FACTS.md §8, CData note)."""
    return {m.strip() for m in app.config.zoho_edition_without.split(",") if m.strip()}


def zoho_missing_module(app, req: Request) -> Response | None:
    """A call about a module the edition lacks answers as for an unknown module: 400 INVALID_MODULE (records.py)."""
    hidden = hidden_modules(app)
    if not hidden:
        return None
    named = req.path_params.get("module") or req.path_params.get("api_name") or req.arg("module")
    if named in hidden:
        return Response.json(400, {"code": "INVALID_MODULE", "details": {}, "message": "The module name given seems to be invalid", "status": "error"})
    return None
