"""`make doctor`, Amazon side: the LWA token, the seller's marketplaces, and every SP-API operation the pipeline
uses, each probed with a call that reads and never writes (no report is requested). Each check returns a Check:
its name, ok (True, False, or None when it could not be made or does not apply) and what to do."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from .. import clock
from ..http.access import ORDER_REPORT_TYPE, PARTICIPATION_ROLE, PII_DATA, SETTLEMENT_REPORT_TYPE
from ..http.errors import AccessDenied, ApiError
from .marketplaces import BY_ID
from .orders import MAX_MARKETPLACES_PER_CALL, iso
from .queue import NotificationQueueResource, QueueUnavailable
from .spapi import SpApiClient

# How far back the searchOrders probes look: long enough to find one order to probe getOrder with.
PROBE_DAYS = 7
# searchOrders refuses a createdBefore later than "now minus 2 minutes" (orders.py FRESHNESS_MARGIN).
PROBE_MARGIN = timedelta(minutes=5)


class Check(NamedTuple):
    name: str
    ok: bool | None
    todo: str = ""


def _failed(name: str, exc: Exception) -> Check:
    if isinstance(exc, AccessDenied):
        return Check(name, False, exc.hint)
    return Check(name, False, f"{exc}"[:400])


def lwa_token(client: SpApiClient) -> Check:
    """Mints an access token from the refresh token (POST https://api.amazon.com/auth/o2/token, API-FACTS §1)."""
    name = "Amazon LWA token"
    try:
        client.tokens.token()
    except ApiError as exc:
        code = exc.body
        todo = {
            "error=invalid_client": "LWA does not know this client id/secret: copy both again from the app's LWA credentials "
                                    "(Seller Central → Apps and Services → Develop Apps → View) into AMAZON_LWA_CLIENT_ID and AMAZON_LWA_CLIENT_SECRET",
            "error=invalid_grant": "the refresh token is wrong, revoked or belongs to another app: authorise the app again "
                                   "(Develop Apps → Authorize) and put the new refresh token in AMAZON_LWA_REFRESH_TOKEN",
        }.get(code, f"LWA refused the token ({code}); check AMAZON_LWA_CLIENT_ID, AMAZON_LWA_CLIENT_SECRET and AMAZON_LWA_REFRESH_TOKEN")
        return Check(name, False, todo)
    except Exception as exc:  # noqa: BLE001 - a network error is a finding, not a crash
        return Check(name, False, f"cannot reach the LWA token endpoint ({type(exc).__name__}); check the network or AMAZON_LWA_TOKEN_URL")
    return Check(name, True, "an access token was minted")


def participations(client: SpApiClient, marketplace_ids: list[str]) -> Check:
    """getMarketplaceParticipations: the seller sells in each configured marketplace (Sellers API v1)."""
    name = "Amazon marketplaces (getMarketplaceParticipations)"
    try:
        payload = client.call("getMarketplaceParticipations", "GET", "/sellers/v1/marketplaceParticipations").body.get("payload") or []
    except AccessDenied:
        # The pipeline itself never calls the Sellers API, so an app without its role is not broken: say so, go on.
        return Check(name, None, f"not checked: the app lacks the role {PARTICIPATION_ROLE!r} the Sellers API needs in NA/EU; "
                                 f"the pipeline does not need it, so check by hand that the seller sells in {', '.join(marketplace_ids)}")
    except ApiError as exc:
        return _failed(name, exc)
    status = {(p.get("marketplace") or {}).get("id"): p.get("participation") or {} for p in payload}
    problems = []
    for m in marketplace_ids:
        country = BY_ID[m].country_code
        if m not in status or not status[m].get("isParticipating"):
            problems.append(f"{m} ({country}): the seller does not sell there; remove it from AMAZON_MARKETPLACE_IDS "
                            f"(the seller sells in {', '.join(sorted(k for k, v in status.items() if v.get('isParticipating') and k)) or 'none'})")
        elif status[m].get("hasSuspendedListings"):
            problems.append(f"{m} ({country}): the seller has suspended listings there (the sync still works)")
    if any("does not sell" in p for p in problems):
        return Check(name, False, "; ".join(problems))
    return Check(name, True, "; ".join(problems) or f"the seller sells in {', '.join(marketplace_ids)}")


def operations(client: SpApiClient, marketplace_ids: list[str]) -> list[Check]:
    """Each SP-API operation the pipeline uses, probed read-only; a 403 names the role to request."""
    checks: list[Check] = []
    now = clock.now()
    window = {"createdAfter": iso(now - timedelta(days=PROBE_DAYS)), "createdBefore": iso(now - PROBE_MARGIN),
              "marketplaceIds": ",".join(marketplace_ids[:MAX_MARKETPLACES_PER_CALL]), "maxResultsPerPage": 1}
    order_id = None
    name = "Amazon searchOrders"
    try:
        orders = client.call("searchOrders", "GET", "/orders/2026-01-01/orders", params=window).body.get("orders") or []
        order_id = orders[0].get("orderId") if orders else None
        checks.append(Check(name, True, "orders can be listed"))
    except ApiError as exc:
        checks.append(_failed(name, exc))
    name = "Amazon buyer details (searchOrders includedData=BUYER,RECIPIENT)"
    if checks[-1].ok:
        try:
            client.call("searchOrders", "GET", "/orders/2026-01-01/orders", params={**window, "includedData": ",".join(PII_DATA)})
            checks.append(Check(name, True, "buyer and recipient data can be read (merchant-fulfilled orders)"))
        except ApiError as exc:
            checks.append(_failed(name, exc))
    else:
        checks.append(Check(name, None, "not checked: searchOrders itself is refused"))
    name = "Amazon getOrder"
    if order_id:
        try:
            client.call("getOrder", "GET", f"/orders/2026-01-01/orders/{order_id}")
            checks.append(Check(name, True, "an order can be read"))
        except ApiError as exc:
            checks.append(_failed(name, exc))
    else:
        checks.append(Check(name, None, f"not checked: no order in the last {PROBE_DAYS} days to read; it needs the same role as searchOrders"))
    checks += _reports(client, marketplace_ids)
    return checks


def _reports(client: SpApiClient, marketplace_ids: list[str]) -> list[Check]:
    """getReports per report type; createReport is not called (it would request a report, a write): Amazon grants it
    with the same role as getReports of that type (http/access.py), so getReports stands in for it, and says so."""
    checks: list[Check] = []
    found: dict | None = None
    for report_type, label in ((ORDER_REPORT_TYPE, "order reports"), (SETTLEMENT_REPORT_TYPE, "settlement reports")):
        name = f"Amazon getReports ({label})"
        params = {"reportTypes": report_type, "pageSize": 1}
        if report_type == ORDER_REPORT_TYPE:
            params["marketplaceIds"] = ",".join(marketplace_ids[:10])
        try:
            reports = client.call("getReports", "GET", "/reports/2021-06-30/reports", params=params).body.get("reports") or []
            found = found or next((r for r in reports if r.get("reportDocumentId")), None)
            note = " (createReport of this type needs the same role; not called, it would request a report)" if report_type == ORDER_REPORT_TYPE else ""
            checks.append(Check(name, True, f"{label} can be listed{note}"))
        except ApiError as exc:
            failed = _failed(name, exc)
            if report_type == ORDER_REPORT_TYPE and isinstance(exc, AccessDenied):
                failed = Check(name, False, failed.todo + " (createReport needs the same role)")
            checks.append(failed)
    name = "Amazon getReport and getReportDocument"
    if found is None:
        checks.append(Check(name, None, "not checked: no finished report to read yet; they need the role of the report's type, as getReports"))
        return checks
    try:
        client.call("getReport", "GET", f"/reports/2021-06-30/reports/{found['reportId']}")
        client.call("getReportDocument", "GET", f"/reports/2021-06-30/documents/{found['reportDocumentId']}")
        checks.append(Check(name, True, "a report and its document URL can be read (the document is not downloaded)"))
    except ApiError as exc:
        checks.append(_failed(name, exc))
    return checks


def notifications(order_queue: NotificationQueueResource | None = None) -> Check:
    """The ORDER_CHANGE queue (amazon/queue.py), read-only: reachable, with a dead-letter queue and Amazon's policy."""
    name = "Amazon notifications (SQS, intraday)"
    if order_queue is None or not order_queue.queue_url:
        return Check(name, None, "not configured (AMAZON_NOTIFICATIONS_QUEUE_URL unset): against the sandbox its own SQS serves; "
                                 "against Amazon intraday orders come by polling searchOrders. README: 'Intraday orders'")
    try:
        queue = order_queue.open()
    except QueueUnavailable as exc:
        return Check(name, False, f"{exc}; check AMAZON_NOTIFICATIONS_QUEUE_URL and the AWS credentials boto3 finds")
    if queue.notes:
        return Check(name, False, "; ".join(queue.notes))
    return Check(f"{name}: {queue.url}", True)

